//! A Hub id's parquet shards over HTTP, cached on disk.
//!
//! Without a revision the Hub's parquet-listing API (`GET {endpoint}/api/datasets/{id}/parquet` →
//! `{config: {split: [url, …]}}`) names the shards of its parquet conversion; with one, the repository's tree at
//! that revision (`/api/datasets/{id}/tree/{rev}?recursive=true`) names its own parquet files, fetched from
//! `/datasets/{id}/resolve/{rev}/{path}`. Files land in `$HF_HOME/lakefeed/datasets/{id}/{rev}/` laid out as a
//! local dataset (`{config}/{split}/0000.parquet`, or the repository's paths), together with the listing, so a
//! later run, or one with `HF_HUB_OFFLINE=1`, reads them from there. Each file is written to a temporary name and
//! renamed only once complete, so an interrupted download leaves nothing half-written in the cache.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lakefeed_core::{Error, Result};
use serde_json::Value;

use super::HuggingFaceOptions;

/// Where and how to reach the Hub, from the environment `huggingface_hub` uses.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// `HF_ENDPOINT` (default `https://huggingface.co`).
    pub endpoint: String,
    /// `HF_TOKEN`, sent as a bearer token.
    pub token: Option<String>,
    /// `$HF_HOME` (default `~/.cache/huggingface`).
    pub home: PathBuf,
    /// `HF_HUB_OFFLINE=1`: the cache only.
    pub offline: bool,
}

impl HubSettings {
    /// The settings from the environment.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let home = var("HF_HOME").map(PathBuf::from).unwrap_or_else(|| {
            var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(std::env::temp_dir)
                .join("huggingface")
        });
        Self {
            endpoint: var("HF_ENDPOINT")
                .unwrap_or_else(|| "https://huggingface.co".into())
                .trim_end_matches('/')
                .to_string(),
            token: var("HF_TOKEN").or_else(|| var("HUGGING_FACE_HUB_TOKEN")),
            home,
            offline: var("HF_HUB_OFFLINE")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "TRUE" | "yes" | "ON")),
        }
    }
}

/// `user/name` (or `name`): letters, digits, `-`, `_`, `.`, at most one `/`.
pub fn is_hub_id(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() <= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
}

/// The cached dataset: its local directory and the config it holds.
#[derive(Debug)]
pub struct Fetched {
    /// A local dataset directory.
    pub dir: PathBuf,
    /// The config chosen (`default` when the revision's own files are read and none was given).
    pub config: String,
}

/// One file to have in the cache: where it comes from and its path under the cache directory.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Entry {
    url: String,
    path: String,
}

/// Brings the shards of `options.name` (its `config`, `split`, `revision`) into the cache.
pub fn fetch(settings: &HubSettings, options: &HuggingFaceOptions, split: &str) -> Result<Fetched> {
    let id = &options.name;
    let rev = options.revision.clone();
    let dir = settings
        .home
        .join("lakefeed/datasets")
        .join(id.replace('/', "--"))
        .join(
            rev.as_deref()
                .unwrap_or("parquet-conversion")
                .replace('/', "--"),
        );
    let listing = dir.join("lakefeed-listing.json");
    let entries: Vec<Entry> = if settings.offline {
        let text = std::fs::read_to_string(&listing).map_err(|_| {
            Error::Ingest(format!(
                "HF_HUB_OFFLINE is set and '{id}' is not in the cache ({}); run once online to fetch it",
                dir.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| Error::bad_source(&listing, e.to_string()))?
    } else {
        let entries = match &rev {
            None => conversion_listing(settings, id, options.config.as_deref(), split)?,
            Some(r) => tree_listing(settings, id, r)?,
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::from_io(&dir, &e))?;
        let text = serde_json::to_string(&entries).unwrap_or_default();
        write_atomically(&listing, text.as_bytes())?;
        entries
    };
    for e in &entries {
        let path = dir.join(&e.path);
        if path.is_file() {
            continue;
        }
        if settings.offline {
            return Err(Error::Ingest(format!(
                "HF_HUB_OFFLINE is set and {} is not in the cache; run once online to fetch it",
                path.display()
            )));
        }
        download(settings, &e.url, &path)?;
    }
    let config = match (&rev, &options.config) {
        (_, Some(c)) => c.clone(),
        (None, None) => entries
            .first()
            .and_then(|e| e.path.split('/').next())
            .unwrap_or("default")
            .to_string(),
        (Some(_), None) => "default".into(),
    };
    Ok(Fetched { dir, config })
}

/// The shards of the parquet conversion for `config` and `split` (`all`: every split).
fn conversion_listing(
    settings: &HubSettings,
    id: &str,
    config: Option<&str>,
    split: &str,
) -> Result<Vec<Entry>> {
    let url = format!("{}/api/datasets/{id}/parquet", settings.endpoint);
    let listing: Value = serde_json::from_slice(&get(settings, &url)?)
        .map_err(|e| Error::Ingest(format!("{url}: not the parquet listing JSON: {e}")))?;
    let configs = listing
        .as_object()
        .ok_or_else(|| Error::Ingest(format!("{url}: not the parquet listing JSON")))?;
    let names: Vec<&str> = configs.keys().map(String::as_str).collect();
    let chosen = match config {
        Some(c) => c,
        None if configs.contains_key("default") || names.len() != 1 => "default",
        None => names[0],
    };
    let splits = configs
        .get(chosen)
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Error::Ingest(format!(
                "'{id}' has no config '{chosen}'; it has {}{}",
                names.join(", "),
                lakefeed_core::did_you_mean(chosen, names.iter().copied())
            ))
        })?;
    let mut out = Vec::new();
    for (name, urls) in splits {
        if split != "all" && name != split {
            continue;
        }
        for (i, u) in urls.as_array().into_iter().flatten().enumerate() {
            if let Some(u) = u.as_str() {
                out.push(Entry {
                    url: u.to_string(),
                    path: format!("{chosen}/{name}/{i:04}.parquet"),
                });
            }
        }
    }
    if out.is_empty() {
        let have: Vec<&str> = splits.keys().map(String::as_str).collect();
        return Err(Error::Ingest(format!(
            "'{id}' config '{chosen}' has no split '{split}'; it has {}{}",
            have.join(", "),
            lakefeed_core::did_you_mean(split, have.iter().copied())
        )));
    }
    Ok(out)
}

/// The parquet files (and the README card) of the repository at `rev`.
fn tree_listing(settings: &HubSettings, id: &str, rev: &str) -> Result<Vec<Entry>> {
    let url = format!(
        "{}/api/datasets/{id}/tree/{rev}?recursive=true",
        settings.endpoint
    );
    let tree: Value = serde_json::from_slice(&get(settings, &url)?)
        .map_err(|e| Error::Ingest(format!("{url}: not a tree listing: {e}")))?;
    let out: Vec<Entry> = tree
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f.get("type").and_then(Value::as_str) == Some("file"))
        .filter_map(|f| f.get("path").and_then(Value::as_str))
        .filter(|p| p.ends_with(".parquet") || *p == "README.md")
        .filter(|p| !p.split('/').any(|part| part == ".." || part.is_empty()))
        .map(|p| Entry {
            url: format!("{}/datasets/{id}/resolve/{rev}/{p}", settings.endpoint),
            path: p.to_string(),
        })
        .collect();
    if !out.iter().any(|e| e.path.ends_with(".parquet")) {
        return Err(Error::Ingest(format!(
            "'{id}' at revision '{rev}' holds no parquet files"
        )));
    }
    Ok(out)
}

/// Runs an HTTP future on a runtime of its own, on a thread of its own (callers may be inside another runtime).
fn on_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Other(format!("cannot start an HTTP runtime: {e}")))?
            .block_on(work)
    })
    .join()
    .map_err(|_| Error::Other("the HTTP thread panicked".into()))?
}

fn client(settings: &HubSettings) -> Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(t) = &settings.token {
        let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {t}"))
            .map_err(|_| Error::Auth("HF_TOKEN holds characters a header cannot".into()))?;
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .user_agent(concat!("lakefeed/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| Error::Other(format!("cannot make an HTTP client: {e}")))
}

/// An HTTP failure as an error naming the URL (status errors keep their status, so 429/5xx are retryable).
fn http_error(url: &str, status: Option<u16>, message: String) -> Error {
    let inner = match status {
        Some(401 | 403) => Error::Auth(format!(
            "{message} (set HF_TOKEN to a token that can read this dataset)"
        )),
        Some(status) => Error::Http { status, message },
        None => Error::Other(message),
    };
    inner.context(format!("GET {url}"))
}

/// The body of `url`.
fn get(settings: &HubSettings, url: &str) -> Result<Vec<u8>> {
    let client = client(settings)?;
    let url = url.to_string();
    on_runtime(async move {
        let resp = client
            .get(&url)
            .send()
            .await
            .map_err(|e| http_error(&url, None, e.to_string()))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| http_error(&url, None, e.to_string()))?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body).chars().take(300).collect();
            return Err(http_error(&url, Some(status.as_u16()), text));
        }
        Ok(body.to_vec())
    })
}

/// Downloads `url` to `path` through a temporary file renamed once the whole body (its Content-Length) is in.
fn download(settings: &HubSettings, url: &str, path: &Path) -> Result<()> {
    use std::io::Write;
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::from_io(parent, &e))?;
    let tmp = temp_name(path);
    let client = client(settings)?;
    let (url, tmp_owned) = (url.to_string(), tmp.clone());
    let fetched = on_runtime(async move {
        let mut resp = client
            .get(&url)
            .send()
            .await
            .map_err(|e| http_error(&url, None, e.to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect();
            return Err(http_error(&url, Some(status.as_u16()), text));
        }
        let expected = resp.content_length();
        let mut file =
            std::fs::File::create(&tmp_owned).map_err(|e| Error::from_io(&tmp_owned, &e))?;
        let mut got = 0u64;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| http_error(&url, None, format!("download interrupted: {e}")))?
        {
            file.write_all(&chunk)
                .map_err(|e| Error::from_io(&tmp_owned, &e))?;
            got += chunk.len() as u64;
        }
        file.sync_all()
            .map_err(|e| Error::from_io(&tmp_owned, &e))?;
        if let Some(n) = expected.filter(|n| *n != got) {
            return Err(http_error(
                &url,
                None,
                format!("download interrupted: {got} of {n} bytes"),
            ));
        }
        Ok(())
    });
    if let Err(e) = fetched {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::from_io(path, &e))
}

fn temp_name(path: &Path) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".part-{}-{n}", std::process::id()));
    path.with_file_name(name)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_name(path);
    std::fs::write(&tmp, bytes).map_err(|e| Error::from_io(&tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::from_io(path, &e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hub_ids() {
        assert!(super::is_hub_id("user/dataset-1.v2"));
        assert!(super::is_hub_id("mnist"));
        for bad in ["a/b/c", "../x", "a b", "", "/abs"] {
            assert!(!super::is_hub_id(bad), "{bad}");
        }
    }
}
