//! Sharded runs into S3 (`common::s3`): N `run --shard` processes and one `commit` give exactly the rows of one
//! unsharded run, through crashes, duplicates and missing shards, and readers never see half a run. Also the
//! Kubernetes and Slurm recipes' worker commands, run with the environment those schedulers set.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::common::s3::{S3, s3};
use crate::common::{fixtures, lakefeed, ok, repo, stderr};
use crate::object_store::{cli, values};

/// The tables a run writes and the column that identifies their rows.
const TABLES: [(&str, &str); 6] = [
    ("media", "id"),
    ("coco", "coco_image_id"),
    ("g1_frames", "id"),
    ("g1_episodes", "id"),
    ("thumbnails", "file_id || column_name || dimension"),
    ("_lakefeed_inputs", "table_name || input"),
];

/// A manifest with files, COCO and a LeRobot dataset (absolute paths into the shared fixtures).
fn manifest() -> &'static Path {
    static M: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &M.get_or_init(|| {
        let d = crate::common::tmp();
        let f = fixtures();
        let p = |rel: &str| f.join(rel).to_string_lossy().into_owned();
        let text = format!(
            "version: 1\ntables:\n\
             \x20 - name: media\n    format: files\n    options:\n      paths: [{}, {}, {}]\n      pdf_dpi: 72\n\
             \x20 - name: coco\n    format: coco\n    options:\n      images_dir: {}\n\
             \x20 - name: g1_frames\n    format: lerobot-frames\n    options:\n      dataset_dir: {}\n\
             \x20 - name: g1_episodes\n    format: lerobot-episodes\n    options:\n      dataset_dir: {}\n\
             \x20   index: [task]\n",
            p("files/image"),
            p("files/pdf"),
            p("files/text"),
            p("coco/val2017"),
            p("lerobot-v21/g1_pick_bottle_partial"),
            p("lerobot-v21/g1_pick_bottle_partial"),
        );
        let path = crate::common::write(d.path(), "sharded.yaml", &text);
        (d, path)
    })
    .1
}

/// Every table's row identities after one unsharded run into a local store (computed once).
fn reference() -> &'static BTreeMap<String, Vec<String>> {
    static R: OnceLock<(tempfile::TempDir, BTreeMap<String, Vec<String>>)> = OnceLock::new();
    &R.get_or_init(|| {
        let d = crate::common::tmp();
        let store = d.path().join("local");
        ok(lakefeed(&store, &["run", manifest().to_str().unwrap()]));
        let local = store.to_string_lossy().into_owned();
        let ids = identities(s3(), &local);
        (d, ids)
    })
    .1
}

fn identities(s3: &S3, store: &str) -> BTreeMap<String, Vec<String>> {
    TABLES
        .iter()
        .map(|(t, col)| (t.to_string(), values(s3, store, t, col)))
        .collect()
}

fn shard(s3: &S3, store: &str, i: u32, n: u32) -> Command {
    cli(
        s3,
        store,
        &[
            "run",
            manifest().to_str().unwrap(),
            "--shard",
            &format!("{i}/{n}"),
        ],
    )
}

fn commit(s3: &S3, store: &str, n: u32) -> Command {
    cli(
        s3,
        store,
        &[
            "commit",
            manifest().to_str().unwrap(),
            "--shards",
            &n.to_string(),
        ],
    )
}

/// Runs the commands at once and asserts they all succeed.
fn all_ok(cmds: Vec<Command>) {
    let children: Vec<_> = cmds
        .into_iter()
        .map(|mut c| {
            c.stdout(Stdio::piped()).stderr(Stdio::piped());
            c.spawn().expect("spawn")
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn four_shards_committed_into_s3_equal_one_local_run() {
    let s3 = s3();
    let store = s3.store("shards");
    let expected = reference();
    assert!(
        expected["coco"].len() > 50 && expected["thumbnails"].len() > 50,
        "{expected:?}"
    );
    all_ok((0..4).map(|i| shard(s3, &store, i, 4)).collect());
    let out = ok_cmd(commit(s3, &store, 4));
    assert!(out.contains("committed run"), "{out}");
    assert_eq!(&identities(s3, &store), expected);
    // The manifest's index was built by the commit.
    let (uri, options) = (store.clone(), s3.options());
    let indexed = lakefeed::block_on(async move {
        let lance = lakefeed::LanceStore::open_with(uri, options).await?;
        lance.has_index("g1_episodes", "task").await
    })
    .expect("index lookup");
    assert!(indexed, "the commit built no index on g1_episodes.task");
    // Committing again finds nothing staged; running the shards again stages nothing new.
    let again = crate::common::fails(commit(s3, &store, 4).output().unwrap());
    assert!(again.contains("nothing is staged"), "{again}");
    all_ok((0..4).map(|i| shard(s3, &store, i, 4)).collect());
    ok_cmd(commit(s3, &store, 4));
    assert_eq!(&identities(s3, &store), expected);
}

fn ok_cmd(mut c: Command) -> String {
    ok(c.output().expect("run"))
}

/// Starts shard `i` and kills it with SIGKILL once it has staged its first table and started the second.
fn kill_mid_write(s3: &S3, store: &str, i: u32, n: u32) {
    let mut c = shard(s3, store, i, n);
    c.env("LAKEFEED_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    let lines = BufReader::new(child.stderr.take().expect("stderr"));
    let mut staging = 0;
    for line in lines.lines().map_while(|l| l.ok()) {
        if line.contains("staging") {
            staging += 1;
            if staging == 2 {
                break;
            }
        }
    }
    assert_eq!(staging, 2, "the shard ended before its second table");
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    assert!(!status.success());
}

#[test]
fn killed_duplicated_and_missing_shards_still_commit_exactly_one_run() {
    let s3 = s3();
    let store = s3.store("crashes");
    let expected = reference();
    // Shard 1 runs twice (a speculative duplicate); shard 2 is killed mid-write, then runs again.
    all_ok(vec![
        shard(s3, &store, 0, 4),
        shard(s3, &store, 1, 4),
        shard(s3, &store, 1, 4),
    ]);
    kill_mid_write(s3, &store, 2, 4);
    ok_cmd(shard(s3, &store, 2, 4));
    // Shard 3 has not run: the commit refuses, names it, and nothing is visible.
    let refused = crate::common::fails(commit(s3, &store, 4).output().unwrap());
    assert!(refused.contains("shard(s) 3 of 4"), "{refused}");
    assert_eq!(ok_cmd(cli(s3, &store, &["tables"])), "");
    ok_cmd(shard(s3, &store, 3, 4));

    // Readers polling during the commit see each table absent or whole.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let target = lakefeed::Target::lance(&store).with_storage_options(s3.options());
        let (stop, seen) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            let client = lakefeed::Client::open(&target).expect("client");
            while !stop.load(Ordering::Relaxed) {
                for t in ["media", "coco", "g1_frames"] {
                    if let Ok(n) = client.open_table(t).and_then(|t| t.count()) {
                        seen.lock().unwrap().push((t, n));
                    }
                }
            }
        })
    };
    ok_cmd(commit(s3, &store, 4));
    // One more round of reads after the commit, so every table is seen at least once.
    std::thread::sleep(std::time::Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    assert!(seen.lock().unwrap().len() >= 3, "the reader read nothing");
    assert_eq!(&identities(s3, &store), expected);
    for (t, n) in seen.lock().unwrap().iter() {
        assert_eq!(*n as usize, expected[*t].len(), "a reader saw part of {t}");
    }
}

#[test]
fn commit_what_is_there_when_told_to() {
    let s3 = s3();
    let store = s3.store("partial");
    ok_cmd(shard(s3, &store, 0, 2));
    let mut c = commit(s3, &store, 2);
    c.arg("--allow-missing");
    ok_cmd(c);
    let media = values(s3, &store, "media", "id");
    assert!(!media.is_empty() && media.len() < reference()["media"].len());
    // The other half, run later as its own run of the same manifest, completes the tables.
    ok_cmd(shard(s3, &store, 1, 2));
    ok_cmd(shard(s3, &store, 0, 2));
    ok_cmd(commit(s3, &store, 2));
    assert_eq!(values(s3, &store, "media", "id"), reference()["media"]);
}

/// The `env:` values and the container command of the Kubernetes recipe.
fn k8s_worker(yaml: &str) -> (Vec<String>, Vec<(String, String)>) {
    let doc: serde_json::Value = serde_saphyr::from_str(yaml).expect("the recipe is YAML");
    let container = &doc["spec"]["template"]["spec"]["containers"][0];
    let command = container["command"]
        .as_array()
        .expect("command")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect();
    let env = container["env"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|v| {
                    Some((
                        v["name"].as_str()?.to_string(),
                        v["value"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    (command, env)
}

#[test]
fn the_kubernetes_and_slurm_recipes_run_as_their_schedulers_would() {
    let s3 = s3();
    let expected = reference();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_lakefeed"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // Kubernetes: the Indexed Job's container command, once per completion index, then the commit Job's.
    let store = s3.store("k8s");
    let job = std::fs::read_to_string(repo().join("examples/kubernetes/ingest-job.yaml")).unwrap();
    let commit_job =
        std::fs::read_to_string(repo().join("examples/kubernetes/commit-job.yaml")).unwrap();
    let (worker, env) = k8s_worker(&job);
    let shards: u32 = env
        .iter()
        .find(|(k, _)| k == "LAKEFEED_SHARDS")
        .map(|(_, v)| v.parse().unwrap())
        .expect("the Job sets LAKEFEED_SHARDS");
    let recipe_env = |c: &mut Command, env: &[(String, String)]| {
        c.envs(env.iter().cloned())
            .envs(s3.env())
            .env("PATH", &path)
            .env("LAKEFEED_STORE", &store)
            .env("LAKEFEED_MANIFEST", manifest())
            .env("LAKEFEED_LOG", "warn");
    };
    let workers = (0..shards)
        .map(|i| {
            let mut c = Command::new(&worker[0]);
            c.args(&worker[1..]);
            recipe_env(&mut c, &env);
            c.env("JOB_COMPLETION_INDEX", i.to_string());
            c
        })
        .collect();
    all_ok(workers);
    let (committer, env) = k8s_worker(&commit_job);
    let mut c = Command::new(&committer[0]);
    c.args(&committer[1..]);
    recipe_env(&mut c, &env);
    ok_cmd(c);
    assert_eq!(&identities(s3, &store), expected);

    // Slurm: the array script once per task id (ids start at 1 here, as `--array=1-3` would), then the commit.
    let store = s3.store("slurm");
    let slurm = repo().join("examples/slurm");
    let tasks = (1..=3).map(|id| {
        let mut c = Command::new("bash");
        c.arg(slurm.join("ingest.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "1")
            .env("SLURM_ARRAY_TASK_MAX", "3")
            .env("SLURM_ARRAY_TASK_COUNT", "3")
            .env("SLURM_ARRAY_JOB_ID", "4242");
        c
    });
    let with_env = |mut c: Command| {
        c.envs(s3.env())
            .env("PATH", &path)
            .env("LAKEFEED_STORE", &store)
            .env("LAKEFEED_MANIFEST", manifest())
            .env("LAKEFEED_LOG", "warn");
        c
    };
    all_ok(tasks.map(with_env).collect());
    let mut c = Command::new("bash");
    c.arg(slurm.join("commit.sbatch"))
        .env("LAKEFEED_SHARDS", "3");
    ok_cmd(with_env(c));
    assert_eq!(&identities(s3, &store), expected);
}
