//! Writing standalone video files out of a source by stream copy (FFmpeg's libraries, no re-encode), shared by
//! the `files` format's segments and LeRobot's episode cuts.
//!
//! Output is MP4 with the index at the front (`+faststart`) when MP4 can hold every stream's codec, else the
//! source's container.

use std::path::{Path, PathBuf};
use std::sync::Once;

use ffmpeg::codec::Id;
use ffmpeg::format::context::{Input, Output};
use ffmpeg::{Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;

/// Initialises FFmpeg once, with its own log silenced (`LAKEFEED_FFMPEG_LOG=1` shows it for debugging).
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = ffmpeg::init();
        let level = if std::env::var_os("LAKEFEED_FFMPEG_LOG").is_some() {
            ffmpeg::util::log::Level::Info
        } else {
            ffmpeg::util::log::Level::Fatal
        };
        ffmpeg::util::log::set_level(level);
    });
}

/// A source stream copied to the output, in output order.
#[derive(Debug, Clone, Copy)]
pub struct StreamMap {
    /// Its index in the source.
    pub input: usize,
    /// Its time base in the source.
    pub time_base: Rational,
}

/// A muxer name and the file extension that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Muxer {
    /// FFmpeg's muxer name (`mp4`, `mov`, `matroska`, …).
    pub name: String,
    /// The output file's extension.
    pub ext: String,
}

impl Muxer {
    /// MP4 when it can hold every stream, else the source's container.
    pub fn choose(path: &Path, ictx: &Input, streams: &[StreamMap]) -> Self {
        let all_mp4 = streams
            .iter()
            .filter_map(|s| ictx.stream(s.input))
            .all(|s| muxer_holds("mp4", s.parameters().id()));
        if all_mp4 {
            Self::mp4()
        } else {
            Self::of_source(path)
        }
    }

    /// MP4.
    pub fn mp4() -> Self {
        Self {
            name: "mp4".into(),
            ext: "mp4".into(),
        }
    }

    /// The muxer matching the source's container (by extension).
    pub fn of_source(path: &Path) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("mkv")
            .to_ascii_lowercase();
        let name = match ext.as_str() {
            "mov" | "mp4" => "mov",
            "webm" => "webm",
            "avi" => "avi",
            _ => "matroska",
        };
        let ext = match (name, ext.as_str()) {
            ("matroska", _) => "mkv".to_string(),
            (_, "mp4") => "mov".to_string(),
            _ => ext,
        };
        Self {
            name: name.into(),
            ext,
        }
    }

    /// Whether this is the MP4 or MOV muxer (which take `movflags` and write edit lists).
    pub fn is_mov_family(&self) -> bool {
        self.name == "mp4" || self.name == "mov"
    }
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

/// How timestamps before the output's start are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preroll {
    /// Shift the output so it starts at zero: frames before the cut point play.
    Shift,
    /// Keep them negative: an MP4 edit list hides them (they are decoded, not shown).
    Hide,
}

/// One output file being written by stream copy.
pub struct CopyWriter {
    file: PathBuf,
    octx: Output,
    /// Per output stream: the timestamp subtracted (in the source stream's time base) and the output time base.
    offsets: Vec<(i64, Rational)>,
    /// Last dts written per output stream: a coarser output time base can merge timestamps, which muxers reject.
    last_dts: Vec<Option<i64>>,
}

impl CopyWriter {
    /// Opens `file` with `muxer` for `streams` of `ictx`; `offsets[i]` (source ticks) becomes output time zero.
    pub fn open(
        file: &Path,
        muxer: &Muxer,
        ictx: &Input,
        streams: &[StreamMap],
        offsets: &[i64],
        preroll: Preroll,
    ) -> Result<Self, String> {
        let mut octx = ffmpeg::format::output_as(file, &muxer.name)
            .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
        for s in streams {
            let ist = ictx.stream(s.input).ok_or("stream vanished")?;
            let mut ost = octx
                .add_stream(ffmpeg::encoder::find(Id::None))
                .map_err(|e| e.to_string())?;
            ost.set_parameters(ist.parameters());
            if muxer.name == "mp4" {
                // SAFETY: clearing the codec tag of parameters we own lets the MP4 muxer pick its own tag.
                unsafe { (*ost.parameters().as_mut_ptr()).codec_tag = 0 };
            }
            ost.set_time_base(s.time_base);
        }
        let mut opts = Dictionary::new();
        // Bit-exact output: no random ids (Matroska's segment UID) or version strings, so the same source gives
        // the same bytes on every run and machine.
        opts.set("fflags", "+bitexact");
        if muxer.is_mov_family() {
            opts.set("movflags", "+faststart");
        }
        if preroll == Preroll::Shift {
            opts.set("avoid_negative_ts", "make_zero");
        }
        octx.write_header_with(opts)
            .map_err(|e| format!("cannot start {}: {e}", file.display()))?;
        let offsets = streams
            .iter()
            .zip(offsets)
            .enumerate()
            .map(|(i, (s, off))| {
                let otb = octx.stream(i).map(|o| o.time_base()).unwrap_or(s.time_base);
                (*off, otb)
            })
            .collect();
        Ok(Self {
            file: file.to_path_buf(),
            octx,
            offsets,
            last_dts: vec![None; streams.len()],
        })
    }

    /// Writes a packet of output stream `out_idx` whose timestamps are in `tb`.
    pub fn write(
        &mut self,
        packet: &mut Packet,
        out_idx: usize,
        tb: Rational,
    ) -> Result<(), String> {
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
            .map_err(|e| format!("writing {} failed: {e}", self.file.display()))
    }

    /// Finishes the file and returns its bytes (the file is removed).
    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        self.octx
            .write_trailer()
            .map_err(|e| format!("finishing {} failed: {e}", self.file.display()))?;
        drop(self.octx);
        let bytes = std::fs::read(&self.file).map_err(|e| format!("reading output back: {e}"))?;
        let _ = std::fs::remove_file(&self.file);
        Ok(bytes)
    }
}

/// A temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new folder under the system's temporary directory.
    pub fn new() -> Result<Self, String> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("lakefeed-video-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
        Ok(Self(dir))
    }

    /// A path inside the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
