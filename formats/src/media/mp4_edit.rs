//! Setting how long an MP4 presents, in place: the movie header's and track headers' durations and the duration
//! of each track's media edit (ISO/IEC 14496-12 `mvhd`, `tkhd`, `elst`). Sizes do not change.

/// A box: where its payload starts and ends, and its type.
struct Box4 {
    kind: [u8; 4],
    body: usize,
    end: usize,
}

/// The boxes directly inside `data[start..end]`.
fn boxes(data: &[u8], start: usize, end: usize) -> Result<Vec<Box4>, String> {
    let mut out = Vec::new();
    let mut at = start;
    while at + 8 <= end {
        let size32 = u32::from_be_bytes(read4(data, at)?) as usize;
        let kind: [u8; 4] = read4(data, at + 4)?;
        let (size, header) = match size32 {
            0 => (end - at, 8),
            1 => (u64::from_be_bytes(read8(data, at + 8)?) as usize, 16),
            n => (n, 8),
        };
        if size < header || at + size > end {
            return Err(format!(
                "a malformed '{}' box",
                String::from_utf8_lossy(&kind)
            ));
        }
        out.push(Box4 {
            kind,
            body: at + header,
            end: at + size,
        });
        at += size;
    }
    Ok(out)
}

fn read4(data: &[u8], at: usize) -> Result<[u8; 4], String> {
    data.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| "a truncated box".to_string())
}

fn read8(data: &[u8], at: usize) -> Result<[u8; 8], String> {
    data.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| "a truncated box".to_string())
}

/// A full box's version byte (1 means 64-bit times and durations).
fn version(data: &[u8], b: &Box4) -> Result<u8, String> {
    data.get(b.body)
        .filter(|_| b.body < b.end)
        .copied()
        .ok_or_else(|| format!("an empty '{}' box", String::from_utf8_lossy(&b.kind)))
}

fn child<'a>(list: &'a [Box4], kind: &[u8; 4]) -> Option<&'a Box4> {
    list.iter().find(|b| &b.kind == kind)
}

/// Writes `value` as a version-0 (32-bit) or version-1 (64-bit) field at `at`.
fn put(data: &mut [u8], at: usize, wide: bool, value: u64) -> Result<(), String> {
    let bytes: Vec<u8> = if wide {
        value.to_be_bytes().to_vec()
    } else {
        u32::try_from(value)
            .map_err(|_| "a duration too long for its box".to_string())?
            .to_be_bytes()
            .to_vec()
    };
    data.get_mut(at..at + bytes.len())
        .ok_or_else(|| "a truncated box".to_string())?
        .copy_from_slice(&bytes);
    Ok(())
}

/// Makes the file present `seconds` from the start of its media edit: frames starting later are hidden. Needs the
/// edit list the MP4 muxer writes.
pub fn set_presentation_duration(data: &mut [u8], seconds: f64) -> Result<(), String> {
    let top = boxes(data, 0, data.len())?;
    let moov = child(&top, b"moov").ok_or("no moov box")?;
    let inside = boxes(data, moov.body, moov.end)?;
    let mvhd = child(&inside, b"mvhd").ok_or("no mvhd box")?;
    let wide = version(data, mvhd)? == 1;
    let scale_at = mvhd.body + if wide { 20 } else { 12 };
    let timescale = u32::from_be_bytes(read4(data, scale_at)?);
    if timescale == 0 {
        return Err("the movie timescale is zero".into());
    }
    // Rounded down: the edit then ends at or before the first hidden frame, and after the last shown one.
    let duration = (seconds * f64::from(timescale)).floor() as u64;
    put(data, scale_at + 4, wide, duration)?;
    let mut edits = 0;
    for trak in inside.iter().filter(|b| &b.kind == b"trak") {
        let parts = boxes(data, trak.body, trak.end)?;
        if let Some(tkhd) = child(&parts, b"tkhd") {
            let wide = version(data, tkhd)? == 1;
            put(data, tkhd.body + if wide { 28 } else { 20 }, wide, duration)?;
        }
        let Some(edts) = child(&parts, b"edts") else {
            continue;
        };
        let lists = boxes(data, edts.body, edts.end)?;
        let Some(elst) = child(&lists, b"elst") else {
            continue;
        };
        let wide = version(data, elst)? == 1;
        let count = u32::from_be_bytes(read4(data, elst.body + 4)?) as usize;
        let entry = if wide { 20 } else { 12 };
        // The media edit: the last entry whose media time is not -1 (an empty edit).
        for i in (0..count).rev() {
            let at = elst.body + 8 + i * entry;
            let media = if wide {
                i64::from_be_bytes(read8(data, at + 8)?)
            } else {
                i64::from(i32::from_be_bytes(read4(data, at + 4)?))
            };
            if media >= 0 {
                put(data, at, wide, duration)?;
                edits += 1;
                break;
            }
        }
    }
    if edits == 0 {
        return Err("the MP4 has no edit list to trim".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::set_presentation_duration;

    #[test]
    fn malformed_files_are_errors_not_panics() {
        let mut empty_moov = *b"\0\0\0\x08moov";
        assert!(set_presentation_duration(&mut empty_moov, 1.0).is_err());
        let mut empty_mvhd = *b"\0\0\0\x10moov\0\0\0\x08mvhd";
        assert!(set_presentation_duration(&mut empty_mvhd, 1.0).is_err());
        let mut oversized = *b"\0\0\0\xffmoov";
        assert!(set_presentation_duration(&mut oversized, 1.0).is_err());
        assert!(set_presentation_duration(&mut [1, 2, 3], 1.0).is_err());
    }
}
