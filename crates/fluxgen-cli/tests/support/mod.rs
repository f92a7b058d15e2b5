//! What the CLI tests share: running the `fluxgen` binary and keeping its exit code, stdout and
//! stderr, where the shared data and the core crate's fixtures live, where snapshots go, a
//! working directory no stray `fluxgen.yaml` reaches, and copying and reading directory trees.
//!
//! Each test binary uses only part of it, so each declares it as `#[allow(dead_code)] mod support;`.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insta_cmd::get_cargo_bin;
use tempfile::TempDir;

/// The workspace root (the directory holding the workspace `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared data directory: `$FLUXGEN_SHARED`, or `<workspace root>/../shared`.
pub fn shared_dir() -> PathBuf {
    env::var_os("FLUXGEN_SHARED").map_or_else(|| workspace_root().join("../shared"), PathBuf::from)
}

/// The `tests` directory of `fluxgen-core`, whose fixtures (the bad-config corpus, the doctor
/// repositories, the SOPS repository) the CLI tests run the binary on.
pub fn core_tests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fluxgen-core/tests")
}

/// insta settings that put the snapshot `<name>` at `<workspace root>/snapshots/<subdir>/<name>.snap`,
/// with no module name in front of `<name>`.
pub fn snapshot_settings(subdir: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(workspace_root().join("snapshots").join(subdir));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// A fresh, empty temporary directory with no `fluxgen.yaml` in it or in any parent, so that a
/// command run there finds no config but the one the test puts there.
pub fn workdir() -> TempDir {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    for ancestor in dir.path().ancestors() {
        let stray = ancestor.join("fluxgen.yaml");
        assert!(
            !stray.exists(),
            "{} exists: the CLI tests need a temporary directory without a fluxgen.yaml above it",
            stray.display()
        );
    }
    dir
}

/// `fluxgen <args>` in `dir`, with `NO_COLOR=1`.
pub fn fluxgen(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = fluxgen_in_cwd(args);
    cmd.current_dir(dir);
    cmd
}

/// `fluxgen <args>` with `NO_COLOR=1`, in the test process's own working directory: for
/// commands whose paths are all absolute.
pub fn fluxgen_in_cwd(args: &[&str]) -> Command {
    let mut cmd = Command::new(get_cargo_bin("fluxgen"));
    cmd.args(args).env("NO_COLOR", "1");
    cmd
}

/// What a run of `fluxgen` did, for assertions beyond a snapshot.
pub struct Run {
    /// `fluxgen <args>`, for messages.
    pub command: String,
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    /// Everything printed on stdout (empty when stdout was not captured).
    pub stdout: String,
    /// Everything printed on stderr (empty when stderr was not captured).
    pub stderr: String,
}

/// Runs `cmd` to its end; its stdout and stderr must be UTF-8, or the test fails.
pub fn run(cmd: Command) -> Run {
    let (command, Output { status, stdout, stderr }) = output(cmd);
    Run {
        command,
        code: status.code(),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `cmd` to its end, replacing the bytes of its stdout and stderr that are not UTF-8 with
/// U+FFFD: for runs on input that is not UTF-8 itself, where the output is judged, not its
/// encoding.
pub fn run_lossy(cmd: Command) -> Run {
    let (command, Output { status, stdout, stderr }) = output(cmd);
    Run {
        command,
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The command line of `cmd` and its output; stdout and stderr are captured unless the caller
/// set them.
fn output(mut cmd: Command) -> (String, Output) {
    let args: Vec<String> = cmd.get_args().map(|arg| arg.to_string_lossy().into_owned()).collect();
    let output = cmd.output().expect("run fluxgen");
    (format!("fluxgen {}", args.join(" ")), output)
}

/// What a walk of a tree does with a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Goes through it: a link to a directory is walked as that directory, a link to a file is
    /// read as that file (a dangling link fails the test).
    Follow,
    /// Leaves it out, as every path that is neither a directory nor a regular file.
    Skip,
}

/// Every file below `root`, by its path relative to `root`, with its bytes.
pub fn read_tree(root: &Path, links: Links) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let entry = entry.expect("a directory entry");
            let path = entry.path();
            let kind = entry.file_type().expect("a file type");
            if links == Links::Skip && !kind.is_dir() && !kind.is_file() {
                continue;
            }
            // `is_dir` goes through a link; a skipped link is gone by now.
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                found.insert(path.strip_prefix(root).expect("below root").to_path_buf(), bytes);
            }
        }
    }
    found
}

/// Copies the tree at `from` to `to` (created as needed), following symbolic links: a link to a
/// directory is copied as that directory, a link to a file as that file. Files keep their
/// permissions.
pub fn copy_tree(from: &Path, to: &Path) {
    copy(from, to, false);
}

/// Copies the tree at `from` to `to` (created as needed), recreating each symbolic link as a
/// link to the same target, never following it. Files keep their permissions.
#[cfg(unix)]
pub fn copy_tree_keeping_links(from: &Path, to: &Path) {
    copy(from, to, true);
}

fn copy(from: &Path, to: &Path, keep_links: bool) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if keep_links && entry.file_type().expect("a file type").is_symlink() {
            copy_link(&source, &target);
        } else if source.is_dir() {
            copy(&source, &target, keep_links);
        } else {
            fs::copy(&source, &target).unwrap_or_else(|e| panic!("copy {}: {e}", source.display()));
        }
    }
}

#[cfg(unix)]
fn copy_link(source: &Path, target: &Path) {
    let destination = fs::read_link(source).unwrap_or_else(|e| panic!("read the link {}: {e}", source.display()));
    std::os::unix::fs::symlink(destination, target).unwrap_or_else(|e| panic!("create {}: {e}", target.display()));
}

#[cfg(not(unix))]
fn copy_link(_: &Path, _: &Path) {
    unreachable!("links are kept only by copy_tree_keeping_links, which is unix-only");
}

/// The file `name` in a directory of `PATH`, if any.
pub fn on_path(name: &str) -> Option<PathBuf> {
    env::var_os("PATH").and_then(|path| {
        env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A real tool looked up on `PATH` (`renovate`, `pre-commit`, `check-jsonschema`).
///
/// When it is missing the test fails under `CI=true` and is skipped (with the reason on stderr)
/// everywhere else: `None` means "return now". `.ci/run` installs them into `.tools/`.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = on_path(name);
    if found.is_none() {
        if env::var("CI").as_deref() == Ok("true") {
            panic!("{name} not found on PATH, and CI=true requires it: run .ci/run, which installs it into .tools/");
        }
        eprintln!("skipping: {name} not found on PATH (.ci/run installs it into .tools/)");
    }
    found
}
