//! Video files: one demux pass per file cuts stream-copied, standalone segments of `segment_seconds` at keyframes,
//! with a JPEG thumbnail of each segment's first frame fitting 320×180. In-process with FFmpeg's
//! libraries; no re-encode, no process per segment.
//!
//! Segments are MP4 with the index at the front (`+faststart`); when MP4 cannot hold a stream's codec the
//! segment keeps the source's container. Times are seconds from the first video timestamp.

use std::path::Path;

use ffmpeg::Packet;
use ffmpeg::format::context::Input;
use ffmpeg::media::Type;
use ffmpeg::software::scaling;
use ffmpeg_next as ffmpeg;

use super::table::Row;
use crate::media::video::{CopyWriter, Muxer, Preroll, StreamMap, TempDir, init};
use crate::ordered::{Msg, Sink};

/// The box video thumbnails fit.
pub const THUMB_BOX: (u32, u32) = (320, 180);

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
    let mut muxer = Muxer::choose(path, &ictx, &streams);
    let tmp = TempDir::new()?;

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
                    let row = done.finish(rel, &mut thumbs)?;
                    if !emit(vec![row]) {
                        return Ok(());
                    }
                    index += 1;
                }
                let file = tmp.join(&format!("seg{index:05}.{}", muxer.ext));
                let opened = match Segment::open(&file, &muxer, &ictx, &streams, index, rel, origin)
                {
                    // MP4 may refuse a codec it lists (e.g. Vorbis is "experimental" there): keep the source's container.
                    Err(_) if index == 0 && muxer == Muxer::mp4() => {
                        muxer = Muxer::of_source(path);
                        let file = tmp.join(&format!("seg{index:05}.{}", muxer.ext));
                        Segment::open(&file, &muxer, &ictx, &streams, index, rel, origin)?
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
        s.writer.write(&mut packet, out_idx, tb)?;
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
    let row = last.finish(end, &mut thumbs)?;
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

/// One segment being written.
struct Segment {
    writer: CopyWriter,
    index: i64,
    start: f64,
}

impl Segment {
    /// Opens segment `index` starting `start` seconds after the first video timestamp `origin`.
    fn open(
        file: &Path,
        muxer: &Muxer,
        ictx: &Input,
        streams: &[StreamMap],
        index: i64,
        start: f64,
        origin: f64,
    ) -> Result<Self, String> {
        let abs = origin + start;
        let offsets: Vec<i64> = streams
            .iter()
            .map(|s| (abs / f64::from(s.time_base)).round() as i64)
            .collect();
        let writer = CopyWriter::open(file, muxer, ictx, streams, &offsets, Preroll::Shift)?;
        Ok(Self {
            writer,
            index,
            start,
        })
    }

    fn finish(self, end: f64, thumbs: &mut Thumbnailer) -> Result<Row, String> {
        let bytes = self
            .writer
            .finish()
            .map_err(|e| format!("segment {}: {e}", self.index))?;
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
