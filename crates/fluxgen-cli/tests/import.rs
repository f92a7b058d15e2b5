//! `fluxgen import` end to end: on copies of the GOTK-era reference repositories (so every path
//! in the output is relative), the written file, the report on stderr, what the config then
//! drives (`explain`, `emit`), and the refusals. Snapshots in `snapshots/cli/`.

#[allow(dead_code)]
mod support;

use std::fs;

use insta_cmd::assert_cmd_snapshot;
use support::{Run, fluxgen, run};
use tempfile::TempDir;

/// A working directory with a copy of the reference repository `name` in `repo/`.
fn workdir_with(name: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    support::copy_tree(&support::shared_dir().join("refs").join(name), &dir.path().join("repo"));
    dir
}

#[test]
fn import_writes_the_config_and_reports_on_stderr() {
    for (name, snapshot) in [
        ("onedr0p__home-ops@aadf263", "import-onedr0p-aadf263"),
        ("haraldkoch__kochhaus-home@9b46c64", "import-haraldkoch-9b46c64"),
    ] {
        let dir = workdir_with(name);
        support::snapshot_settings("cli").bind(|| {
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
    let Run { code, stderr, .. } = run(fluxgen(dir.path(), &["import", "--repo", "repo"]));
    assert_eq!(code, Some(0), "{stderr}");
    // By default the config goes to the repository's root, where fluxgen looks for it.
    let config = dir.path().join("repo/fluxgen.yaml");
    assert!(config.is_file());
    assert!(
        stderr.contains("wrote repo/fluxgen.yaml (2 cluster(s), rollout: staging, main)"),
        "{stderr}"
    );
    let repo = dir.path().join("repo");
    let Run {
        code, stdout, stderr, ..
    } = run(fluxgen(
        &repo,
        &["explain", "staging", "--controller", "helm-controller"],
    ));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("--log-level=debug"), "{stdout}");
    assert!(stdout.contains("--concurrent=8"), "{stdout}");
    assert!(stdout.contains("DetectDrift=true"), "{stdout}");
    // Phase `prepare`: emit has nothing to write yet, and says so.
    let Run {
        code, stdout, stderr, ..
    } = run(fluxgen(&repo, &["emit", "staging"]));
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
    let Run { code, stderr, .. } = run(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("fluxgen.yaml already exists"), "{stderr}");
    assert_eq!(fs::read_to_string(dir.path().join("fluxgen.yaml")).unwrap(), "# mine\n");
    let Run { code, stderr, .. } = run(fluxgen(
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
    let Run {
        code, stdout, stderr, ..
    } = run(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "-"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("# fluxgen.yaml written by `fluxgen import`"));
    assert!(stdout.contains("workers: 12"));
    assert!(stderr.contains("cluster main") && !stderr.contains("wrote"), "{stderr}");
    assert!(!dir.path().join("repo/fluxgen.yaml").exists());
}

#[test]
fn no_sops_value_reaches_the_output() {
    let dir = workdir_with("haraldkoch__kochhaus-home@9b46c64");
    let Run {
        code, stdout, stderr, ..
    } = run(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "-"]));
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
    support::snapshot_settings("cli").bind(|| {
        assert_cmd_snapshot!(
            "import-no-clusters",
            fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"])
        );
    });
    assert!(!dir.path().join("fluxgen.yaml").exists());
}
