//! `fluxgen import` end to end: on copies of the GOTK-era reference repositories (so every path
//! in the output is relative), the written file, the report on stderr, what the config then
//! drives (`explain`, `emit`), and the refusals. Snapshots in `snapshots/cli/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use tempfile::TempDir;

/// The shared data directory: `$FLUXGEN_SHARED`, or `<workspace root>/../shared`.
fn shared_dir() -> PathBuf {
    std::env::var_os("FLUXGEN_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    )
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/cli"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create a directory");
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// A working directory with a copy of the reference repository `name` in `repo/`.
fn workdir_with(name: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy(&shared_dir().join("refs").join(name), &dir.path().join("repo"));
    dir
}

fn fluxgen(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(get_cargo_bin("fluxgen"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    cmd
}

fn output(cmd: &mut Command) -> (Option<i32>, String, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("run fluxgen");
    (
        status.code(),
        String::from_utf8(stdout).expect("UTF-8"),
        String::from_utf8(stderr).expect("UTF-8"),
    )
}

#[test]
fn import_writes_the_config_and_reports_on_stderr() {
    for (name, snapshot) in [
        ("onedr0p__home-ops@aadf263", "import-onedr0p-aadf263"),
        ("haraldkoch__kochhaus-home@9b46c64", "import-haraldkoch-9b46c64"),
    ] {
        let dir = workdir_with(name);
        settings().bind(|| {
            assert_cmd_snapshot!(
                snapshot,
                fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"])
            );
        });
        let written = fs::read_to_string(dir.path().join("fluxgen.yaml")).expect("the written config");
        assert!(written.starts_with("# fluxgen.yaml written by `fluxgen import`"));
    }
}

#[test]
fn the_imported_config_drives_the_other_commands() {
    let dir = workdir_with("szinn__k8s-homelab@f8b22a4");
    let (code, _, stderr) = output(&mut fluxgen(dir.path(), &["import", "--repo", "repo"]));
    assert_eq!(code, Some(0), "{stderr}");
    // By default the config goes to the repository's root, where fluxgen looks for it.
    let config = dir.path().join("repo/fluxgen.yaml");
    assert!(config.is_file());
    assert!(
        stderr.contains("wrote repo/fluxgen.yaml (2 cluster(s), rollout: staging, main)"),
        "{stderr}"
    );
    let repo = dir.path().join("repo");
    let (code, stdout, stderr) = output(&mut fluxgen(
        &repo,
        &["explain", "staging", "--controller", "helm-controller"],
    ));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("--log-level=debug"), "{stdout}");
    assert!(stdout.contains("--concurrent=8"), "{stdout}");
    assert!(stdout.contains("DetectDrift=true"), "{stdout}");
    // Phase `prepare`: emit has nothing to write yet, and says so.
    let (code, stdout, stderr) = output(&mut fluxgen(&repo, &["emit", "staging"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.is_empty() && stderr.contains("phase `prepare`"),
        "{stdout}{stderr}"
    );
}

#[test]
fn import_never_overwrites_without_force() {
    let dir = workdir_with("haraldkoch__kochhaus-home@ca268bc");
    fs::write(dir.path().join("fluxgen.yaml"), "# mine\n").expect("write");
    let (code, _, stderr) = output(&mut fluxgen(
        dir.path(),
        &["import", "--repo", "repo", "-o", "fluxgen.yaml"],
    ));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("fluxgen.yaml already exists"), "{stderr}");
    assert_eq!(fs::read_to_string(dir.path().join("fluxgen.yaml")).unwrap(), "# mine\n");
    let (code, _, stderr) = output(&mut fluxgen(
        dir.path(),
        &["import", "--repo", "repo", "-o", "fluxgen.yaml", "--force"],
    ));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        fs::read_to_string(dir.path().join("fluxgen.yaml"))
            .unwrap()
            .contains("home-kubernetes")
    );
}

#[test]
fn import_to_stdout_prints_only_the_config() {
    let dir = workdir_with("haraldkoch__kochhaus-home@ca268bc");
    let (code, stdout, stderr) = output(&mut fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "-"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("# fluxgen.yaml written by `fluxgen import`"));
    assert!(stdout.contains("workers: 12"));
    assert!(stderr.contains("cluster main") && !stderr.contains("wrote"), "{stderr}");
    assert!(!dir.path().join("repo/fluxgen.yaml").exists());
}

#[test]
fn no_sops_value_reaches_the_output() {
    let dir = workdir_with("haraldkoch__kochhaus-home@9b46c64");
    let (code, stdout, stderr) = output(&mut fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "-"]));
    assert_eq!(code, Some(0), "{stderr}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains("ENC[") && !text.contains("AGE ENCRYPTED"), "{text}");
    }
}

#[test]
fn a_repository_without_clusters_is_an_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::create_dir_all(dir.path().join("repo/kubernetes")).expect("create");
    fs::write(
        dir.path().join("repo/kubernetes/app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    )
    .expect("write");
    settings().bind(|| {
        assert_cmd_snapshot!(
            "import-no-clusters",
            fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"])
        );
    });
    assert!(!dir.path().join("fluxgen.yaml").exists());
}
