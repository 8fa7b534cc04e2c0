//! Exact cuts by stream copy: the frames of a source video whose timestamps fall in `[from, to)`, as a standalone
//! MP4, without re-encoding.
//!
//! A copy has to start at a keyframe, usually before `from`, and may need reference frames shown after `to`. Both
//! are kept in the file but hidden by its edit list: the packets before `from` get negative timestamps (the MP4
//! muxer writes an edit list starting at zero), and the edit's duration is then set to end right after the last
//! frame before `to`. Players and decoders that honour edit lists (FFmpeg, PyAV, browsers) show exactly the
//! episode's frames.

use std::path::Path;

use ffmpeg::media::Type;
use ffmpeg::{Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::mp4_edit::set_presentation_duration;
use super::video::{CopyWriter, Muxer, Preroll, StreamMap, TempDir, init};

/// A cut.
#[derive(Debug)]
pub struct Cut {
    /// The standalone MP4.
    pub bytes: Vec<u8>,
    /// Frames shown (those with timestamps in `[from, to)`).
    pub frames: u64,
    /// Seconds from its first frame to the end of its last.
    pub duration: f64,
}

/// Cuts the frames of `path`'s video stream in `[from, to)` seconds (timestamps within half a frame of a bound
/// count as on it) into a standalone MP4.
pub fn cut(path: &Path, from: f64, to: f64) -> Result<Cut, String> {
    init();
    let mut ictx = ffmpeg::format::input(path).map_err(|e| format!("cannot open video: {e}"))?;
    let stream = ictx.streams().best(Type::Video).ok_or("no video stream")?;
    let vidx = stream.index();
    let tb = stream.time_base();
    let rate = stream.avg_frame_rate();
    let rate = if rate.numerator() > 0 {
        rate
    } else {
        stream.rate()
    };
    if rate.numerator() <= 0 || tb.numerator() <= 0 {
        return Err("the video stream declares no frame rate".into());
    }
    let ticks = |secs: f64| secs / f64::from(tb);
    let frame = ticks(1.0 / f64::from(rate));
    let (lo, hi) = (ticks(from) - frame / 2.0, ticks(to) - frame / 2.0);
    let muxer = Muxer::choose(path, &ictx, &[map(vidx, tb)]);
    if !muxer.is_mov_family() {
        return Err(format!(
            "its codec ({:?}) cannot be stored in MP4",
            stream.parameters().id()
        ));
    }
    if from > 0.0 {
        let target = ((from - 0.5 / f64::from(rate)) * f64::from(ffmpeg::ffi::AV_TIME_BASE)) as i64;
        ictx.seek(target, ..target)
            .map_err(|e| format!("cannot seek to {from:.3} s: {e}"))?;
    }
    let packets = read_span(&mut ictx, vidx, hi)?;
    let shown: Vec<i64> = packets
        .iter()
        .filter_map(Packet::pts)
        .filter(|&p| (p as f64) >= lo && (p as f64) < hi)
        .collect();
    let (Some(&first), Some(&last)) = (shown.iter().min(), shown.iter().max()) else {
        return Err(format!("no frames between {from:.3} s and {to:.3} s"));
    };
    let tmp = TempDir::new()?;
    let file = tmp.join("cut.mp4");
    let mut writer = CopyWriter::open(
        &file,
        &muxer,
        &ictx,
        &[map(vidx, tb)],
        &[first],
        Preroll::Hide,
    )?;
    for mut p in packets {
        writer.write(&mut p, 0, tb)?;
    }
    let mut bytes = writer.finish()?;
    let duration = (last - first) as f64 * f64::from(tb) + 1.0 / f64::from(rate);
    set_presentation_duration(&mut bytes, duration)?;
    Ok(Cut {
        bytes,
        frames: shown.len() as u64,
        duration,
    })
}

fn map(input: usize, time_base: Rational) -> StreamMap {
    StreamMap { input, time_base }
}

/// The video packets from the first keyframe read until decode time reaches `hi` (ticks): every frame shown
/// before `hi` and the references it needs.
fn read_span(
    ictx: &mut ffmpeg::format::context::Input,
    vidx: usize,
    hi: f64,
) -> Result<Vec<Packet>, String> {
    let mut out: Vec<Packet> = Vec::new();
    let mut packet = Packet::empty();
    loop {
        match packet.read(ictx) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(ffmpeg::Error::InvalidData) => continue,
            Err(e) => return Err(format!("demuxing failed: {e}")),
        }
        if packet.stream() != vidx || (out.is_empty() && !packet.is_key()) {
            continue;
        }
        let Some(decode) = packet.dts().or(packet.pts()) else {
            continue;
        };
        if decode as f64 >= hi {
            break;
        }
        out.push(packet.clone());
    }
    Ok(out)
}
