//! `fluxgen doctor` end to end: exit codes (0 clean, 1 findings at error level, 2 failure), the
//! formats, the config lookup (the repository's `fluxgen.yaml`, never the built-in example) and
//! colour. The findings themselves are tested in `fluxgen-core/tests/doctor_refs.rs`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insta_cmd::get_cargo_bin;

/// A fixture repository of `fluxgen-core/tests/doctor/`.
fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fluxgen-core/tests/doctor")
        .join(path)
}

fn doctor(dir: &Path, args: &[&str]) -> Output {
    Command::new(get_cargo_bin("fluxgen"))
        .arg("doctor")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run fluxgen")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// A copy of a fixture in a temporary directory with no `fluxgen.yaml` above it.
fn copy_without_config(path: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        dir.path().ancestors().all(|a| !a.join("fluxgen.yaml").exists()),
        "a fluxgen.yaml above the temporary directory"
    );
    copy(&fixture(path), dir.path());
    fs::remove_file(dir.path().join("fluxgen.yaml")).unwrap();
    dir
}

fn copy(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_clean_repository_exits_0() {
    let repo = fixture("double-managed-controllers/clean");
    let output = doctor(&repo, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("cluster edge: phase cutover (fluxgen.yaml)"),
        "{stdout}"
    );
    assert!(stdout.contains("no findings"), "{stdout}");
    assert!(stdout.ends_with("0 errors, 0 warnings, 0 info\n"), "{stdout}");
    // The repository's own fluxgen.yaml is used: nothing is said about a built-in example.
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn findings_at_error_level_exit_1_and_name_both_files() {
    let repo = fixture("double-managed-controllers/triggers");
    // From another directory: the config is looked up from the repository upwards.
    let output = doctor(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["--repo", repo.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("error[double-managed-controllers] kubernetes/edge/bootstrap/flux/kustomization.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("see: kubernetes/edge/apps/flux-system/flux-instance/app/helmrelease.yaml"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "NO_COLOR: no escape codes");
}

#[test]
fn warnings_alone_exit_0() {
    let output = doctor(&fixture("missing-path/triggers"), &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("warning[missing-path]"));
}

#[test]
fn a_repository_that_cannot_be_read_exits_2() {
    let output = doctor(Path::new(env!("CARGO_MANIFEST_DIR")), &["--repo", "does/not/exist"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stdout), "");
    assert!(text(&output.stderr).starts_with("error: "), "{}", text(&output.stderr));
}

#[test]
fn a_bad_config_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.yaml"), "repository: {}\nclusters: 1\n").unwrap();
    let output = doctor(dir.path(), &["-c", "bad.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("error"), "{}", text(&output.stderr));
}

#[test]
fn without_fluxgen_yaml_the_phases_are_inferred() {
    let dir = copy_without_config("double-managed-controllers/triggers");
    let output = doctor(dir.path(), &[]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("phases are inferred from the repository"), "{stderr}");
    assert!(!stderr.contains("built-in example"), "{stderr}");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("phase instance (inferred:"), "{stdout}");
    assert!(stdout.contains("two managers"), "{stdout}");
    // At the inferred `instance` phase two managers are a warning, not an error.
    assert_eq!(output.status.code(), Some(0), "{stdout}");
}

#[test]
fn json_markdown_and_the_graph() {
    let repo = fixture("sync-path-overlap/triggers");
    let json = doctor(&repo, &["--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(value["summary"]["errors"], 2);
    assert_eq!(value["findings"][0]["code"], "sync-path-overlap");
    assert_eq!(value["findings"][0]["cluster"], "edge");
    assert!(value.get("graph").is_none());

    let markdown = text(&doctor(&repo, &["--format", "markdown", "--graph", "mermaid"]).stdout);
    assert!(
        markdown.starts_with("### fluxgen doctor: 2 errors, 0 warnings, 0 info\n"),
        "{markdown}"
    );
    assert!(markdown.contains("| `edge` | `instance` | 2 | 0 | 0 |"), "{markdown}");
    assert!(markdown.contains("```mermaid\nflowchart LR\n"), "{markdown}");

    let graph = doctor(&repo, &["--graph", "mermaid"]);
    assert_eq!(graph.status.code(), Some(1), "the exit code still follows the findings");
    let graph = text(&graph.stdout);
    assert!(graph.starts_with("flowchart LR\n"), "{graph}");
    assert!(graph.contains("same objects"), "the overlap is drawn: {graph}");
    assert!(graph.contains("class "), "{graph}");
}

#[test]
fn colour_only_when_asked() {
    let repo = fixture("double-managed-controllers/triggers");
    let coloured = text(&doctor(&repo, &["--color", "always"]).stdout);
    assert!(coloured.contains("\x1b[1;31merror\x1b[0m"), "{coloured}");
    let piped = text(&doctor(&repo, &["--color", "auto"]).stdout);
    assert!(!piped.contains('\x1b'), "{piped}");
}
