//! Video files: one demux pass per file cuts stream-copied, standalone segments of `segment_seconds` at keyframes,
//! with a JPEG thumbnail of each segment's first frame fitting 320×180 (§5.1). In-process with FFmpeg's
//! libraries; no re-encode, no process per segment.
//!
//! Segments are MP4 with the index at the front (`+faststart`); when MP4 cannot hold a stream's codec the
//! segment keeps the source's container. Times are seconds from the first video timestamp.

use std::path::{Path, PathBuf};
use std::sync::Once;

use ffmpeg::codec::Id;
use ffmpeg::format::context::{Input, Output};
use ffmpeg::media::Type;
use ffmpeg::software::scaling;
use ffmpeg::{Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::table::Row;
use crate::ordered::{Msg, Sink};

/// The box video thumbnails fit.
pub const THUMB_BOX: (u32, u32) = (320, 180);

fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = ffmpeg::init();
        // FFmpeg's own log is noise next to our typed skips; LAKEFEED_FFMPEG_LOG=1 shows it for debugging.
        let level = if std::env::var_os("LAKEFEED_FFMPEG_LOG").is_some() {
            ffmpeg::util::log::Level::Info
        } else {
            ffmpeg::util::log::Level::Fatal
        };
        ffmpeg::util::log::set_level(level);
    });
}

/// Segments `path`, emitting one row per segment. Failures become a `Skip` on `sink`.
pub fn process(
    path: &Path,
    segment_seconds: f64,
    emit: &mut dyn FnMut(Vec<Row>) -> bool,
    sink: &Sink,
) {
    init();
    if let Err(reason) = segment(path, segment_seconds, emit) {
        let _ = sink.send(Msg::Skip(reason));
    }
}

struct StreamMap {
    input: usize,
    time_base: Rational,
}

fn segment(
    path: &Path,
    seconds: f64,
    emit: &mut dyn FnMut(Vec<Row>) -> bool,
) -> Result<(), String> {
    let mut ictx = ffmpeg::format::input(path).map_err(|e| format!("cannot open video: {e}"))?;
    let video = ictx.streams().best(Type::Video).ok_or("no video stream")?;
    let vidx = video.index();
    let mut thumbs = Thumbnailer::new(&video);
    let duration = ictx.duration();
    let declared = (duration > 0).then(|| duration as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if declared.is_none() {
        return whole_file(path, &name, &mut ictx, vidx, &mut thumbs, emit);
    }
    let streams: Vec<StreamMap> = ictx
        .streams()
        .filter(|s| matches!(s.parameters().medium(), Type::Video | Type::Audio))
        .map(|s| StreamMap {
            input: s.index(),
            time_base: s.time_base(),
        })
        .collect();
    let mut muxer = choose_muxer(path, &ictx, &streams);
    let tmp = tempdir()?;

    let mut seg: Option<Segment> = None;
    let mut index = 0i64;
    let mut origin: Option<f64> = None;
    let mut last_end = 0.0f64;
    let mut packet = Packet::empty();
    loop {
        match packet.read(&mut ictx) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(ffmpeg::Error::InvalidData) => continue,
            Err(e) => return Err(format!("demuxing failed: {e}")),
        }
        let sidx = packet.stream();
        let Some(out_idx) = streams.iter().position(|s| s.input == sidx) else {
            continue;
        };
        let tb = streams[out_idx].time_base;
        let Some(ts) = packet.pts().or(packet.dts()) else {
            continue;
        };
        let t = ts as f64 * f64::from(tb);
        if sidx == vidx {
            let origin = *origin.get_or_insert(t);
            let rel = t - origin;
            last_end = last_end.max(rel + packet.duration() as f64 * f64::from(tb));
            let cut = match &seg {
                None => true,
                Some(s) => packet.is_key() && rel >= next_boundary(s.start, seconds),
            };
            if cut {
                if let Some(done) = seg.take() {
                    let row = done.finish(rel, &name, &mut thumbs)?;
                    if !emit(vec![row]) {
                        return Ok(());
                    }
                    index += 1;
                }
                let file = tmp.join(format!("seg{index:05}.{}", muxer.1));
                let opened =
                    match Segment::open(&file, &muxer.0, &ictx, &streams, index, rel, origin) {
                        // MP4 may refuse a codec it lists (e.g. Vorbis is "experimental" there): keep the source's container.
                        Err(_) if index == 0 && muxer.0 == "mp4" => {
                            muxer = source_muxer(path);
                            let file = tmp.join(format!("seg{index:05}.{}", muxer.1));
                            Segment::open(&file, &muxer.0, &ictx, &streams, index, rel, origin)?
                        }
                        other => other?,
                    };
                seg = Some(opened);
            }
            if let Some(s) = &mut seg {
                thumbs.feed(&packet, s.index);
            }
        }
        let Some(s) = &mut seg else { continue }; // audio before the first video packet
        s.write(&mut packet, out_idx, tb)?;
    }
    let Some(last) = seg else {
        return Err("no video packets".into());
    };
    let declared = declared.unwrap_or(last_end);
    if last_end + 1.0 < 0.5 * declared {
        return Err(format!(
            "truncated: the file declares {declared:.1} s but its data ends at {last_end:.1} s"
        ));
    }
    // The container's duration is authoritative for where the last segment ends.
    let end = if declared > last.start {
        declared
    } else {
        last_end
    };
    let row = last.finish(end, &name, &mut thumbs)?;
    emit(vec![row]);
    Ok(())
}

/// The first multiple of `seconds` after `start`.
fn next_boundary(start: f64, seconds: f64) -> f64 {
    ((start / seconds).floor() + 1.0) * seconds
}

fn whole_file(
    path: &Path,
    name: &str,
    ictx: &mut Input,
    vidx: usize,
    thumbs: &mut Thumbnailer,
    emit: &mut dyn FnMut(Vec<Row>) -> bool,
) -> Result<(), String> {
    let mut packet = Packet::empty();
    let mut n = 0;
    while thumbs.pending() && n < 512 {
        match packet.read(ictx) {
            Ok(()) if packet.stream() == vidx => thumbs.feed(&packet, 0),
            Ok(()) | Err(ffmpeg::Error::InvalidData) => {}
            Err(_) => break,
        }
        n += 1;
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let row = Row {
        chunk_index: Some(0),
        start_time: Some(0.0),
        video_data: Some(bytes),
        thumbnail: thumbs.take(0),
        text: Some(format!("Video: {name}")),
        ..Default::default()
    };
    emit(vec![row]);
    Ok(())
}

/// The muxer and file extension for segments: MP4 when it can hold every stream, else the source's container.
fn choose_muxer(path: &Path, ictx: &Input, streams: &[StreamMap]) -> (String, String) {
    let ids: Vec<Id> = streams
        .iter()
        .filter_map(|s| ictx.stream(s.input))
        .map(|s| s.parameters().id())
        .collect();
    if ids.iter().all(|id| muxer_holds("mp4", *id)) {
        return ("mp4".into(), "mp4".into());
    }
    source_muxer(path)
}

/// The muxer matching the source's container (by extension), and the segment file extension.
fn source_muxer(path: &Path) -> (String, String) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("mkv")
        .to_ascii_lowercase();
    let muxer = match ext.as_str() {
        "mov" => "mov",
        "webm" => "webm",
        "avi" => "avi",
        "mp4" => "mov",
        _ => "matroska",
    };
    let ext = if muxer == "matroska" {
        "mkv".to_string()
    } else if ext == "mp4" {
        "mov".into()
    } else {
        ext
    };
    (muxer.into(), ext)
}

fn muxer_holds(muxer: &str, id: Id) -> bool {
    let Ok(name) = std::ffi::CString::new(muxer) else {
        return false;
    };
    // SAFETY: av_guess_format reads a NUL-terminated name and returns a static muxer or null; avformat_query_codec
    // only reads the muxer's tables.
    unsafe {
        let fmt = ffmpeg::ffi::av_guess_format(name.as_ptr(), std::ptr::null(), std::ptr::null());
        !fmt.is_null()
            && ffmpeg::ffi::avformat_query_codec(
                fmt,
                id.into(),
                ffmpeg::ffi::FF_COMPLIANCE_NORMAL as _,
            ) == 1
    }
}

/// One segment being written.
struct Segment {
    file: PathBuf,
    octx: Output,
    index: i64,
    start: f64,
    /// Per output stream: the timestamp subtracted (in the stream's time base) and the output time base.
    offsets: Vec<(i64, Rational)>,
    /// Last dts written per output stream: a coarser output time base can merge timestamps, which muxers reject.
    last_dts: Vec<Option<i64>>,
}

impl Segment {
    fn open(
        file: &Path,
        muxer: &str,
        ictx: &Input,
        streams: &[StreamMap],
        index: i64,
        start: f64,
        origin: f64,
    ) -> Result<Self, String> {
        let mut octx = ffmpeg::format::output_as(file, muxer)
            .map_err(|e| format!("cannot create segment: {e}"))?;
        for s in streams {
            let ist = ictx.stream(s.input).ok_or("stream vanished")?;
            let mut ost = octx
                .add_stream(ffmpeg::encoder::find(Id::None))
                .map_err(|e| e.to_string())?;
            ost.set_parameters(ist.parameters());
            if muxer == "mp4" {
                // SAFETY: clearing the codec tag of parameters we own lets the MP4 muxer pick its own tag.
                unsafe { (*ost.parameters().as_mut_ptr()).codec_tag = 0 };
            }
            ost.set_time_base(s.time_base);
        }
        let mut opts = Dictionary::new();
        if muxer == "mp4" || muxer == "mov" {
            opts.set("movflags", "+faststart");
        }
        opts.set("avoid_negative_ts", "make_zero");
        octx.write_header_with(opts)
            .map_err(|e| format!("cannot start segment: {e}"))?;
        let abs = origin + start;
        let offsets = streams
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let otb = octx.stream(i).map(|o| o.time_base()).unwrap_or(s.time_base);
                ((abs / f64::from(s.time_base)).round() as i64, otb)
            })
            .collect();
        let last_dts = vec![None; streams.len()];
        Ok(Self {
            file: file.to_path_buf(),
            octx,
            index,
            start,
            offsets,
            last_dts,
        })
    }

    fn write(&mut self, packet: &mut Packet, out_idx: usize, tb: Rational) -> Result<(), String> {
        let (offset, otb) = self.offsets[out_idx];
        if let Some(p) = packet.pts() {
            packet.set_pts(Some(p - offset));
        }
        if let Some(d) = packet.dts() {
            packet.set_dts(Some(d - offset));
        }
        packet.rescale_ts(tb, otb);
        if let (Some(d), Some(last)) = (packet.dts(), self.last_dts[out_idx])
            && d <= last
        {
            packet.set_dts(Some(last + 1));
            packet.set_pts(packet.pts().map(|p| p.max(last + 1)));
        }
        if packet.dts().is_some() {
            self.last_dts[out_idx] = packet.dts();
        }
        packet.set_stream(out_idx);
        packet.set_position(-1);
        packet
            .write_interleaved(&mut self.octx)
            .map_err(|e| format!("writing segment {} failed: {e}", self.index))
    }

    fn finish(mut self, end: f64, _name: &str, thumbs: &mut Thumbnailer) -> Result<Row, String> {
        self.octx
            .write_trailer()
            .map_err(|e| format!("finishing segment {} failed: {e}", self.index))?;
        drop(self.octx);
        let bytes = std::fs::read(&self.file).map_err(|e| format!("reading segment back: {e}"))?;
        let _ = std::fs::remove_file(&self.file);
        let (start, end) = (round3(self.start), round3(end.max(self.start)));
        Ok(Row {
            chunk_index: Some(self.index),
            start_time: Some(start),
            end_time: Some(end),
            video_data: Some(bytes),
            thumbnail: thumbs.take(self.index),
            text: Some(format!(
                "Video segment {}: {start:.1}s - {end:.1}s",
                self.index
            )),
            ..Default::default()
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A per-file temporary folder for segments, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn join(&self, name: String) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> Result<TempDir, String> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("lakefeed-video-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    Ok(TempDir(dir))
}

/// Decodes the first frame of each segment into a JPEG thumbnail.
struct Thumbnailer {
    decoder: Option<ffmpeg::decoder::Video>,
    /// The segment packets are coming from, packets fed for it, and whether its frame is done.
    segment: Option<i64>,
    fed: u32,
    done: bool,
    made: Vec<(i64, Vec<u8>)>,
}

/// Packets fed to find a segment's first frame before giving up.
const MAX_THUMB_PACKETS: u32 = 64;

impl Thumbnailer {
    fn new(stream: &ffmpeg::format::stream::Stream) -> Self {
        let decoder = ffmpeg::codec::context::Context::from_parameters(stream.parameters())
            .and_then(|c| c.decoder().video())
            .ok();
        Self {
            decoder,
            segment: None,
            fed: 0,
            done: false,
            made: Vec::new(),
        }
    }

    /// True while the current segment still lacks its frame.
    fn pending(&self) -> bool {
        self.decoder.is_some() && !self.done
    }

    /// Feeds a video packet of segment `index`.
    fn feed(&mut self, packet: &Packet, index: i64) {
        let Some(dec) = &mut self.decoder else { return };
        if self.segment != Some(index) {
            dec.flush();
            (self.segment, self.fed, self.done) = (Some(index), 0, false);
        }
        if self.done || self.fed >= MAX_THUMB_PACKETS {
            return;
        }
        self.fed += 1;
        if dec.send_packet(packet).is_err() {
            return;
        }
        let mut frame = ffmpeg::frame::Video::empty();
        if dec.receive_frame(&mut frame).is_ok() {
            self.done = true;
            if let Some(j) = jpeg_of(&frame) {
                self.made.push((index, j));
            }
        }
    }

    /// The thumbnail of segment `index`, if one was made.
    fn take(&mut self, index: i64) -> Option<Vec<u8>> {
        let pos = self.made.iter().position(|(i, _)| *i == index)?;
        Some(self.made.swap_remove(pos).1)
    }
}

fn jpeg_of(frame: &ffmpeg::frame::Video) -> Option<Vec<u8>> {
    let (w, h) = (frame.width(), frame.height());
    if w == 0 || h == 0 {
        return None;
    }
    let scale = (f64::from(THUMB_BOX.0) / f64::from(w))
        .min(f64::from(THUMB_BOX.1) / f64::from(h))
        .min(1.0);
    let (tw, th) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let mut sws = scaling::Context::get(
        frame.format(),
        w,
        h,
        ffmpeg::format::Pixel::RGB24,
        tw,
        th,
        scaling::Flags::AREA,
    )
    .ok()?;
    let mut rgb = ffmpeg::frame::Video::empty();
    sws.run(frame, &mut rgb).ok()?;
    let stride = rgb.stride(0);
    let data = rgb.data(0);
    let mut packed = Vec::with_capacity(tw as usize * th as usize * 3);
    for y in 0..th as usize {
        packed.extend_from_slice(&data[y * stride..y * stride + tw as usize * 3]);
    }
    crate::media::jpeg::encode(tw, th, &packed, 85).ok()
}
