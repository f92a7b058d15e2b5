//! Write safety under SIGKILL: `fluxgen emit --all` writes 1,000 clusters (9,000 files) over a
//! tree holding another version of every file and is killed at a random moment (a seeded
//! delay from 0 to the length of a whole run). After each kill every file holds exactly its
//! old or its new content; fluxgen's temporary files (`.fluxgen-*`) may be left behind and are
//! counted, never taken for generated files. Then emit runs to completion: every file holds
//! the new content, the killed run's temporary files are gone, and `fluxgen check --all` is
//! clean. The next run goes back the other way. A run killed while it writes into an empty
//! tree leaves each cluster's directory whole or absent.
//!
//! `FLUXGEN_KILL_RUNS` sets the number of runs (25 by default), `FLUXGEN_KILL_SEED` the seed,
//! `FLUXGEN_KILL_DIR` where the tree goes (default: `/dev/shm` where it exists, as the flush to
//! a disk makes each run longer without changing what a SIGKILL can do).

#![cfg(unix)]

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Links, fluxgen_in_cwd};

const CLUSTERS: usize = 1000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// SplitMix64: the delays are the same for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A config of 1,000 clusters; the two versions differ in every file but the kustomizations
/// (the schema URL of each file's first lines, the apps' interval, the controllers' tuning).
fn config(version: usize) -> String {
    let mut text = String::from("repository: { url: ssh://git@github.com/example/haynes-ops }\ndefaults:\n");
    if version == 0 {
        text.push_str("  schemaBaseUrl: https://schemas.example.com\n  apps: { interval: 30m }\n");
    } else {
        text.push_str("  tuning: { workers: 10, memoryLimit: 2Gi }\n");
    }
    text.push_str("clusters:\n");
    for index in 0..CLUSTERS {
        text.push_str(&format!("  c{index:04}: {{ phase: instance }}\n"));
    }
    text
}

/// The file fluxgen replaces first: the first path of the first cluster that differs.
const FIRST_WRITTEN: &str = "kubernetes/c0000/apps/flux-system/flux-instance/app/helmrelease.yaml";

/// Waits until the file at `path` is replaced (a new inode renamed over it).
fn wait_for_replacement(path: &Path, timeout: Duration) {
    use std::os::unix::fs::MetadataExt;
    let inode = |p: &Path| fs::metadata(p).map(|m| m.ino()).ok();
    let before = inode(path);
    let started = Instant::now();
    while inode(path) == before {
        assert!(
            started.elapsed() < timeout,
            "{} was not replaced within {timeout:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// A temporary file, or anything in a temporary directory (a new tree not yet renamed into
/// place).
fn is_temporary(path: &Path) -> bool {
    path.components()
        .any(|c| c.as_os_str().to_str().is_some_and(|n| n.starts_with(".fluxgen-")))
}

/// Every file below `root` by relative path, and the temporary files apart.
fn read_tree(root: &Path) -> (BTreeMap<PathBuf, Vec<u8>>, Vec<PathBuf>) {
    let (temporary, files): (BTreeMap<_, _>, BTreeMap<_, _>) = support::read_tree(root, Links::Follow)
        .into_iter()
        .partition(|(path, _)| is_temporary(path));
    (files, temporary.into_keys().collect())
}

/// `fluxgen emit --all` of `config` under `root`, printing nothing.
fn emit(config: &Path, root: &Path) -> Command {
    let mut command = fluxgen_in_cwd(&[
        "-c",
        &config.to_string_lossy(),
        "emit",
        "--all",
        "--root",
        &root.to_string_lossy(),
    ]);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    command
}

fn emit_to_completion(config: &Path, root: &Path) -> Duration {
    let started = Instant::now();
    let output = emit(config, root).stderr(Stdio::piped()).output().expect("run fluxgen");
    assert!(
        output.status.success(),
        "emit failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    started.elapsed()
}

fn work_dir() -> tempfile::TempDir {
    let base = std::env::var_os("FLUXGEN_KILL_DIR").map(PathBuf::from).or_else(|| {
        let shm = Path::new("/dev/shm");
        tempfile::tempdir_in(shm).ok().map(|_| shm.to_path_buf())
    });
    match base {
        Some(base) => tempfile::tempdir_in(base).expect("a temporary directory"),
        None => tempfile::tempdir().expect("a temporary directory"),
    }
}

#[test]
fn a_killed_emit_leaves_every_file_old_or_new_and_a_rerun_completes_it() {
    let runs = env_number("FLUXGEN_KILL_RUNS", 25);
    let mut rng = Rng(env_number("FLUXGEN_KILL_SEED", 0x6b69_6c6c));
    let configs = tempfile::tempdir().expect("a temporary directory");
    let config_paths: Vec<PathBuf> = (0..2)
        .map(|version| {
            let path = configs.path().join(format!("fluxgen-{version}.yaml"));
            fs::write(&path, config(version)).expect("write a config");
            path
        })
        .collect();
    // The two versions of every file, each written once into an empty tree.
    let versions: Vec<BTreeMap<PathBuf, Vec<u8>>> = config_paths
        .iter()
        .map(|config| {
            let dir = work_dir();
            emit_to_completion(config, dir.path());
            read_tree(dir.path()).0
        })
        .collect();
    assert_eq!(versions[0].len(), CLUSTERS * 9);
    assert_eq!(
        versions[0].keys().collect::<Vec<_>>(),
        versions[1].keys().collect::<Vec<_>>(),
        "both versions have the same files"
    );
    let differing = versions[0]
        .iter()
        .filter(|(path, old)| versions[1][*path] != **old)
        .count();
    assert!(
        differing >= CLUSTERS * 6,
        "only {differing} files differ between the versions"
    );

    let work = work_dir();
    emit_to_completion(&config_paths[0], work.path());
    // How long a whole run takes, and its writing part: the kills land in them.
    let started = Instant::now();
    let mut child = emit(&config_paths[1], work.path()).spawn().expect("start fluxgen");
    wait_for_replacement(&work.path().join(FIRST_WRITTEN), Duration::from_secs(120));
    let until_writing = started.elapsed();
    assert!(child.wait().expect("wait for fluxgen").success());
    let whole = started.elapsed();
    let writing = whole.saturating_sub(until_writing);
    let mut current = 1;
    let (mut mixed, mut strays, mut finished) = (0, 0, 0);
    let started = Instant::now();
    for run in 0..runs {
        let (from, to) = (current, 1 - current);
        let mut child = emit(&config_paths[to], work.path()).spawn().expect("start fluxgen");
        // Even runs: anywhere in the whole run. Odd runs: anywhere in its writing, which
        // starts when the first file is replaced (loading and planning come first).
        let delay = if run % 2 == 0 {
            Duration::from_micros(rng.next() % (whole.as_micros() as u64 + 1))
        } else {
            wait_for_replacement(&work.path().join(FIRST_WRITTEN), whole * 3);
            Duration::from_micros(rng.next() % (writing.as_micros() as u64 + 1))
        };
        std::thread::sleep(delay);
        if child.try_wait().expect("poll fluxgen").is_some() {
            finished += 1;
        }
        child.kill().ok();
        child.wait().expect("reap fluxgen");

        let (files, temporary) = read_tree(work.path());
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            versions[to].keys().collect::<Vec<_>>(),
            "run {run}: the set of files changed"
        );
        let mut new = 0;
        for (path, content) in &files {
            if *content == versions[to][path] {
                if versions[to][path] != versions[from][path] {
                    new += 1;
                }
            } else {
                assert!(
                    *content == versions[from][path],
                    "run {run} (killed after {delay:?}): {} is neither its old nor its new content:\n{}",
                    path.display(),
                    String::from_utf8_lossy(content)
                );
            }
        }
        if new > 0 && new < differing {
            mixed += 1;
        }
        strays += temporary.len();

        emit_to_completion(&config_paths[to], work.path());
        let (files, temporary) = read_tree(work.path());
        assert!(files == versions[to], "run {run}: the rerun did not complete the tree");
        assert!(
            temporary.is_empty(),
            "run {run}: the rerun left the killed run's temporary files: {:?}",
            temporary.iter().take(5).collect::<Vec<_>>()
        );
        current = to;
        if run % 5 != 4 {
            continue;
        }
        let mut check = fluxgen_in_cwd(&["-c", &config_paths[to].to_string_lossy(), "check", "--all", "--root"]);
        check.arg(work.path());
        let check = support::run_lossy(check);
        assert_eq!(
            check.code,
            Some(0),
            "run {run}: check after the rerun: {}",
            check.stdout
        );
    }
    eprintln!(
        "{runs} kills in {:?} (a whole run takes {whole:?}, its writing {writing:?}): {mixed} left old and new files mixed, \
         {finished} finished before the kill, {strays} temporary files left behind by the kills (each removed by the next run)",
        started.elapsed()
    );
    if runs >= 10 {
        assert!(mixed > 0, "no kill landed while files were being written");
    }
}

/// The directory of cluster `index` in the tree.
fn cluster_dir(index: usize) -> PathBuf {
    PathBuf::from(format!("kubernetes/c{index:04}/apps/flux-system"))
}

#[test]
fn a_killed_emit_into_an_empty_tree_leaves_each_cluster_whole_or_absent() {
    let runs = env_number("FLUXGEN_KILL_RUNS", 25).div_ceil(2);
    let mut rng = Rng(env_number("FLUXGEN_KILL_SEED", 0x6b69_6c6c) ^ 0x0065_6d70_7479);
    let configs = tempfile::tempdir().expect("a temporary directory");
    let config_path = configs.path().join("fluxgen.yaml");
    fs::write(&config_path, config(0)).expect("write the config");
    let complete = {
        let dir = work_dir();
        emit_to_completion(&config_path, dir.path());
        read_tree(dir.path()).0
    };
    assert_eq!(complete.len(), CLUSTERS * 9);
    let work = work_dir();
    // How long a whole run takes, and its placing part: from the first cluster's directory
    // renamed into place to the end.
    let first = cluster_dir(0);
    let (whole, placing) = {
        let tree = work.path().join("timed");
        let started = Instant::now();
        let mut child = emit(&config_path, &tree).spawn().expect("start fluxgen");
        wait_for(&tree.join(&first), Duration::from_secs(120));
        let until_placing = started.elapsed();
        assert!(child.wait().expect("wait for fluxgen").success());
        let whole = started.elapsed();
        (whole, whole.saturating_sub(until_placing))
    };
    let (mut partial, mut strays) = (0, 0);
    for run in 0..runs {
        let tree = work.path().join(format!("run-{run}"));
        let mut child = emit(&config_path, &tree).spawn().expect("start fluxgen");
        // Even runs: anywhere in the whole run. Odd runs: while the trees are renamed into
        // place, which starts when the first appears (in the first quarter of what follows: the
        // rest is the report).
        let delay = if run % 2 == 0 {
            Duration::from_micros(rng.next() % (whole.as_micros() as u64 + 1))
        } else {
            wait_for(&tree.join(&first), whole * 3);
            Duration::from_micros(rng.next() % (placing.as_micros() as u64 / 4 + 1))
        };
        std::thread::sleep(delay);
        child.kill().ok();
        child.wait().expect("reap fluxgen");

        // Killed before it made the tree's root: nothing at all.
        let (files, temporary) = if tree.exists() {
            read_tree(&tree)
        } else {
            Default::default()
        };
        let mut whole_clusters = 0;
        for index in 0..CLUSTERS {
            let dir = cluster_dir(index);
            let expected: BTreeMap<&PathBuf, &Vec<u8>> =
                complete.iter().filter(|(path, _)| path.starts_with(&dir)).collect();
            let found: BTreeMap<&PathBuf, &Vec<u8>> = files.iter().filter(|(path, _)| path.starts_with(&dir)).collect();
            if found.is_empty() {
                assert!(
                    !tree.join(&dir).exists(),
                    "run {run} (killed after {delay:?}): {} exists with no file in it",
                    dir.display()
                );
                continue;
            }
            assert!(
                found == expected,
                "run {run} (killed after {delay:?}): {} is neither whole nor absent: {} of its {} files",
                dir.display(),
                found.len(),
                expected.len()
            );
            whole_clusters += 1;
        }
        assert_eq!(
            files.len(),
            whole_clusters * 9,
            "run {run}: files outside the clusters' directories"
        );
        if whole_clusters > 0 && whole_clusters < CLUSTERS {
            partial += 1;
        }
        strays += temporary.len();

        emit_to_completion(&config_path, &tree);
        let (files, temporary) = read_tree(&tree);
        assert!(files == complete, "run {run}: the rerun did not complete the tree");
        assert!(
            temporary.is_empty(),
            "run {run}: the rerun left the killed run's temporary files: {:?}",
            temporary.iter().take(5).collect::<Vec<_>>()
        );
    }
    eprintln!(
        "{runs} kills while writing an empty tree (a whole run takes {whole:?}, placing the trees {placing:?}): \
         {partial} left some clusters written and others absent, {strays} temporary files left behind by the \
         kills (each removed by the next run)"
    );
    if runs >= 5 {
        assert!(partial > 0, "no kill landed while the trees were being placed");
    }
}

/// Waits until something is at `path`.
fn wait_for(path: &Path, timeout: Duration) {
    let started = Instant::now();
    while fs::symlink_metadata(path).is_err() {
        assert!(
            started.elapsed() < timeout,
            "{} did not appear within {timeout:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}
