//! `lerobot-episodes`: one row per episode: `episode_index`, `task` (its tasks joined with "; "), `length`, and one
//! VIDEO column per camera holding a standalone MP4 of the episode. v2 episodes have their own files; v3 episodes
//! are cut exactly out of the shared files by stream copy ([`crate::media::cut`]).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lakefeed_core::arrow::array::{ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray};
use lakefeed_core::arrow::datatypes::{DataType, Schema, SchemaRef};
use lakefeed_core::inputs::{DoneSet, file_stamp, input_key, retain_flagged, still_to_do};
use lakefeed_core::{Batches, Format, IngestContext, Input, LogicalType, Result};

use super::info::{Dataset, Layout};
use super::layout::{EpisodeMeta, Gaps, Present, video_file};
use crate::ordered::{Job, Msg, Ordered, Sink};

/// Bytes of episode rows held back in order before they are passed on.
const HOLD_BYTES: usize = 64 << 20;

/// Files this small that start like a Git LFS pointer are pointers, not videos.
const LFS_PREFIX: &[u8] = b"version https://git-lfs";

/// A camera: its feature key and its column.
#[derive(Debug, Clone)]
struct Camera {
    key: String,
    column: String,
}

/// Why a video file cannot be used, found once per file before any episode is read.
type Unusable = BTreeMap<PathBuf, String>;

/// The selected episodes of a dataset.
#[derive(Debug)]
pub struct Episodes {
    dataset: Dataset,
    episodes: Vec<EpisodeMeta>,
    cameras: Vec<Camera>,
    /// Per episode and camera: its video file.
    files: Vec<Vec<PathBuf>>,
    unusable: Unusable,
    /// Where the metadata and the files disagree (episodes without their data file are left out: the files win).
    gaps: Gaps,
    /// Identifies the dataset in row ids: a digest of its info.json.
    dataset_id: String,
    keys: Vec<Option<String>>,
}

/// `observation.images.cam_high` → `cam_high`; the words `image`/`images` are dropped, and a suffix every camera
/// shares (DROID's `_left`) too, so DROID's cameras give the seed's `exterior_1_video`, `exterior_2_video`,
/// `wrist_video`.
fn camera_columns(keys: &[String]) -> Vec<String> {
    let words: Vec<Vec<&str>> = keys
        .iter()
        .map(|k| {
            let short = k.rsplit('.').next().unwrap_or(k);
            let kept: Vec<&str> = short
                .split('_')
                .filter(|w| !matches!(*w, "image" | "images"))
                .collect();
            if kept.is_empty() { vec![short] } else { kept }
        })
        .collect();
    let shared_last = words.len() > 1
        && words.iter().all(|w| w.len() > 1)
        && words.iter().all(|w| w.last() == words[0].last());
    let names: Vec<String> = words
        .iter()
        .map(|w| {
            let w = if shared_last {
                &w[..w.len() - 1]
            } else {
                &w[..]
            };
            format!("{}_video", w.join("_"))
        })
        .collect();
    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
    if distinct.len() == names.len() {
        names
    } else {
        keys.iter()
            .map(|k| format!("{}_video", k.replace('.', "_")))
            .collect()
    }
}

/// The reason a video file cannot be used, if any: missing, or a Git LFS pointer.
fn check_video(path: &Path) -> Option<String> {
    let mut head = [0u8; 64];
    let n = match std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some("missing: listed by the dataset's metadata but not on disk".into());
        }
        Err(e) => return Some(format!("unreadable: {e}")),
    };
    head[..n]
        .starts_with(LFS_PREFIX)
        .then(|| "a Git LFS pointer, not the video (run `git lfs pull` in the dataset)".to_string())
}

impl Episodes {
    /// The rows of the present episodes.
    pub fn new(dataset: Dataset, present: Present) -> Result<Self> {
        let gaps = present.gaps();
        let episodes = present.episodes;
        let dataset_id = super::frames::dataset_id(&dataset)?;
        let keys_of_cameras = dataset.video_keys();
        let cameras: Vec<Camera> = camera_columns(&keys_of_cameras)
            .into_iter()
            .zip(keys_of_cameras)
            .map(|(column, key)| Camera { key, column })
            .collect();
        let mut files = Vec::with_capacity(episodes.len());
        let mut unusable = Unusable::new();
        for ep in &episodes {
            let mut row = Vec::with_capacity(cameras.len());
            for cam in &cameras {
                let path = video_file(&dataset, ep, &cam.key)?;
                if !unusable.contains_key(&path)
                    && let Some(why) = check_video(&path)
                {
                    unusable.insert(path.clone(), why);
                }
                row.push(path);
            }
            files.push(row);
        }
        let keys = vec![None; episodes.len()];
        Ok(Self {
            dataset,
            episodes,
            cameras,
            files,
            unusable,
            gaps,
            dataset_id,
            keys,
        })
    }

    fn schema(&self) -> SchemaRef {
        let mut fields = vec![
            LogicalType::Text.field("id", DataType::Utf8),
            LogicalType::Int64.field("episode_index", DataType::Int64),
            LogicalType::Text.field("task", DataType::Utf8),
            LogicalType::Int64.field("length", DataType::Int64),
        ];
        for cam in &self.cameras {
            fields.push(LogicalType::Video.field(&cam.column, DataType::Binary));
        }
        Arc::new(Schema::new(fields))
    }
}

/// One episode's work: its row, with each camera's video or null.
struct EpisodeJob {
    dataset_id: String,
    layout: Layout,
    /// Frames per second (info.json).
    fps: Option<f64>,
    episode: EpisodeMeta,
    /// Per camera: its key and the file to read (None: unusable, already reported).
    videos: Vec<(String, Option<PathBuf>)>,
    schema: SchemaRef,
}

impl EpisodeJob {
    fn run(self, sink: &Sink) {
        let mut cols: Vec<Option<Vec<u8>>> = Vec::with_capacity(self.videos.len());
        for (key, path) in &self.videos {
            let mut warn = |w: String| {
                let _ = sink.send(Msg::Warn(w));
            };
            let video = path
                .as_ref()
                .and_then(|p| match self.video(key, p, &mut warn) {
                    Ok(v) => v,
                    Err(why) => {
                        warn(format!(
                            "episode {}: {}: {why}; its video is left empty",
                            self.episode.index,
                            p.display()
                        ));
                        None
                    }
                });
            cols.push(video);
        }
        let ep = &self.episode;
        let id = format!("{}_{}", self.dataset_id, ep.index);
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![id])),
            Arc::new(Int64Array::from(vec![ep.index])),
            Arc::new(StringArray::from(vec![ep.tasks.join("; ")])),
            Arc::new(Int64Array::from(vec![ep.length])),
        ];
        for c in cols {
            arrays.push(Arc::new(BinaryArray::from(vec![c.as_deref()])));
        }
        match RecordBatch::try_new(self.schema.clone(), arrays) {
            Ok(b) => {
                let _ = sink.send(Msg::Part(b));
            }
            Err(e) => {
                let _ = sink.send(Msg::Skip(e.to_string()));
            }
        }
    }

    /// The episode's video of camera `key`: the whole file (v2) or the exact cut (v3).
    fn video(
        &self,
        key: &str,
        path: &Path,
        warn: &mut dyn FnMut(String),
    ) -> std::result::Result<Option<Vec<u8>>, String> {
        match self.layout {
            Layout::V2 => std::fs::read(path)
                .map(Some)
                .map_err(|e| format!("unreadable: {e}")),
            Layout::V3 => {
                let Some(span) = self.episode.videos.get(key) else {
                    return Ok(None);
                };
                // Datasets disagree on whether `to_timestamp` is the last frame's time or the end; `length` frames
                // from `from_timestamp` is exact when both are known.
                let to = match (self.episode.length, self.fps) {
                    (Some(n), Some(fps)) if fps > 0.0 => span.from + n as f64 / fps,
                    _ => span.to,
                };
                #[cfg(not(feature = "media"))]
                {
                    let _ = (path, to, warn);
                    Err(crate::media::NO_MEDIA.to_string())
                }
                #[cfg(feature = "media")]
                {
                    let cut = crate::media::cut::cut(path, span.from, to)?;
                    if let Some(length) = self.episode.length
                        && cut.frames != length as u64
                    {
                        warn(format!(
                            "episode {}: {}: {} frames from {:.3} s, but the episode's length is {length}",
                            self.episode.index,
                            path.display(),
                            cut.frames,
                            span.from
                        ));
                    }
                    Ok(Some(cut.bytes))
                }
            }
        }
    }
}

impl Format for Episodes {
    fn schema(&self) -> Option<SchemaRef> {
        Some(Episodes::schema(self))
    }

    /// Row ids are deterministic (dataset, episode).
    fn key(&self) -> Vec<String> {
        vec!["id".to_string()]
    }

    /// Each id is made once per run.
    fn keys_unique(&self) -> bool {
        true
    }

    fn estimated_rows(&self) -> Option<u64> {
        Some(self.episodes.len() as u64)
    }

    /// One input per episode: its index and its video files' sizes and times.
    fn inputs(&mut self) -> Result<Vec<Input>> {
        let mut out = Vec::new();
        for ((ep, files), key) in self.episodes.iter().zip(&self.files).zip(&mut self.keys) {
            let stats: Vec<String> = files.iter().map(|p| file_stamp(p)).collect();
            let k = input_key(&format!("{}/episode/{}", self.dataset_id, ep.index), &stats);
            *key = Some(k.clone());
            out.push(Input {
                key: k,
                path: self.dataset.dir.join(format!("episode {}", ep.index)),
            });
        }
        Ok(out)
    }

    fn skip_inputs(&mut self, done: &DoneSet) {
        let keep = still_to_do(&self.keys, done);
        retain_flagged(&mut self.episodes, &keep);
        retain_flagged(&mut self.files, &keep);
        retain_flagged(&mut self.keys, &keep);
    }

    /// Episodes are worked on in parallel (one thread each, a few at a time) and come out in order.
    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches> {
        self.gaps.report(ctx, "; its episodes are left out");
        for (path, why) in &self.unusable {
            ctx.skip(
                path,
                format!("{why}; the episodes' video from it is left empty"),
            );
        }
        let schema = Episodes::schema(&self);
        let jobs: Vec<(PathBuf, Option<String>, Job)> = self
            .episodes
            .iter()
            .zip(&self.files)
            .zip(&self.keys)
            .map(|((ep, files), key)| {
                let videos = self
                    .cameras
                    .iter()
                    .zip(files)
                    .map(|(cam, p)| {
                        let usable = (!self.unusable.contains_key(p)).then(|| p.clone());
                        (cam.key.clone(), usable)
                    })
                    .collect();
                let job = EpisodeJob {
                    dataset_id: self.dataset_id.clone(),
                    layout: self.dataset.layout,
                    fps: self.dataset.info.fps,
                    episode: ep.clone(),
                    videos,
                    schema: schema.clone(),
                };
                let path = self.dataset.dir.join(format!("episode {}", ep.index));
                let job: Job = Box::new(move |sink: &Sink| job.run(sink));
                (path, key.clone(), job)
            })
            .collect();
        let window = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(2);
        Ok(Box::new(Ordered::new(
            jobs,
            window,
            HOLD_BYTES,
            schema,
            ctx.clone(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::camera_columns;

    fn cols(keys: &[&str]) -> Vec<String> {
        camera_columns(&keys.iter().map(|k| k.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn camera_columns_are_short_and_droid_matches_the_seed() {
        let droid = cols(&[
            "observation.images.exterior_image_1_left",
            "observation.images.exterior_image_2_left",
            "observation.images.wrist_image_left",
        ]);
        assert_eq!(
            droid,
            ["exterior_1_video", "exterior_2_video", "wrist_video"]
        );
        assert_eq!(cols(&["observation.images.cam_high"]), ["cam_high_video"]);
        assert_eq!(cols(&["image"]), ["image_video"]);
        assert_eq!(
            cols(&["observation.images.front", "observation.images.top"]),
            ["front_video", "top_video"]
        );
        // Names that would collide keep their whole key.
        assert_eq!(cols(&["a.cam", "b.cam"]), ["a_cam_video", "b_cam_video"]);
    }
}
