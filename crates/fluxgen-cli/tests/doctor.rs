//! `fluxgen doctor` end to end: exit codes (0 clean, 1 findings at error level, 2 failure), the
//! formats, the config lookup (the repository's `fluxgen.yaml`, never the built-in example) and
//! colour. The findings themselves are tested in `fluxgen-core/tests/doctor_refs.rs`.

#[allow(dead_code)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::Run;

/// A fixture repository of `fluxgen-core/tests/doctor/`.
fn fixture(path: &str) -> PathBuf {
    support::core_tests().join("doctor").join(path)
}

/// `fluxgen doctor <args>` in `dir`; its stdout and stderr must be UTF-8.
fn doctor(dir: &Path, args: &[&str]) -> Run {
    support::run(support::fluxgen(dir, &[&["doctor"], args].concat()))
}

/// A copy of a fixture, without its `fluxgen.yaml`, in a temporary directory with no
/// `fluxgen.yaml` above it.
fn copy_without_config(path: &str) -> tempfile::TempDir {
    let dir = support::workdir();
    support::copy_tree(&fixture(path), dir.path());
    fs::remove_file(dir.path().join("fluxgen.yaml")).unwrap();
    dir
}

#[test]
fn a_clean_repository_exits_0() {
    let repo = fixture("double-managed-controllers/clean");
    let output = doctor(&repo, &[]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let stdout = output.stdout;
    assert!(
        stdout.contains("cluster edge: phase cutover (fluxgen.yaml)"),
        "{stdout}"
    );
    assert!(stdout.contains("no findings"), "{stdout}");
    assert!(stdout.ends_with("0 errors, 0 warnings, 0 info\n"), "{stdout}");
    // The repository's own fluxgen.yaml is used: nothing is said about a built-in example.
    assert_eq!(output.stderr, "");
}

#[test]
fn findings_at_error_level_exit_1_and_name_both_files() {
    let repo = fixture("double-managed-controllers/triggers");
    // From another directory: the config is looked up from the repository upwards.
    let output = doctor(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["--repo", repo.to_str().unwrap()],
    );
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    let stdout = output.stdout;
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
    assert_eq!(output.code, Some(0));
    assert!(output.stdout.contains("warning[missing-path]"));
}

#[test]
fn a_repository_that_cannot_be_read_exits_2() {
    let output = doctor(Path::new(env!("CARGO_MANIFEST_DIR")), &["--repo", "does/not/exist"]);
    assert_eq!(output.code, Some(2));
    assert_eq!(output.stdout, "");
    assert!(output.stderr.starts_with("error: "), "{}", output.stderr);
}

#[test]
fn a_bad_config_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.yaml"), "repository: {}\nclusters: 1\n").unwrap();
    let output = doctor(dir.path(), &["-c", "bad.yaml"]);
    assert_eq!(output.code, Some(2));
    assert!(output.stderr.contains("error"), "{}", output.stderr);
}

#[test]
fn without_fluxgen_yaml_the_phases_are_inferred() {
    let dir = copy_without_config("double-managed-controllers/triggers");
    let output = doctor(dir.path(), &[]);
    let stderr = output.stderr;
    assert!(stderr.contains("phases are inferred from the repository"), "{stderr}");
    assert!(!stderr.contains("built-in example"), "{stderr}");
    let stdout = output.stdout;
    assert!(stdout.contains("phase instance (inferred:"), "{stdout}");
    assert!(stdout.contains("two managers"), "{stdout}");
    // At the inferred `instance` phase two managers are a warning, not an error.
    assert_eq!(output.code, Some(0), "{stdout}");
}

#[test]
fn json_markdown_and_the_graph() {
    let repo = fixture("sync-path-overlap/triggers");
    let json = doctor(&repo, &["--format", "json"]);
    assert_eq!(json.code, Some(1));
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["summary"]["errors"], 2);
    assert_eq!(value["findings"][0]["code"], "sync-path-overlap");
    assert_eq!(value["findings"][0]["cluster"], "edge");
    assert!(value.get("graph").is_none());

    let markdown = doctor(&repo, &["--format", "markdown", "--graph", "mermaid"]).stdout;
    assert!(
        markdown.starts_with("### fluxgen doctor: 2 errors, 0 warnings, 0 info\n"),
        "{markdown}"
    );
    assert!(markdown.contains("| `edge` | `instance` | 2 | 0 | 0 |"), "{markdown}");
    assert!(markdown.contains("```mermaid\nflowchart LR\n"), "{markdown}");

    let graph = doctor(&repo, &["--graph", "mermaid"]);
    assert_eq!(graph.code, Some(1), "the exit code still follows the findings");
    let graph = graph.stdout;
    assert!(graph.starts_with("flowchart LR\n"), "{graph}");
    assert!(graph.contains("same objects"), "the overlap is drawn: {graph}");
    assert!(graph.contains("class "), "{graph}");
}

#[test]
fn colour_only_when_asked() {
    let repo = fixture("double-managed-controllers/triggers");
    let coloured = doctor(&repo, &["--color", "always"]).stdout;
    assert!(coloured.contains("\x1b[1;31merror\x1b[0m"), "{coloured}");
    let piped = doctor(&repo, &["--color", "auto"]).stdout;
    assert!(!piped.contains('\x1b'), "{piped}");
}
