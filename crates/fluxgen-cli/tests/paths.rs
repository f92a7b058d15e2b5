//! Every path fluxgen prints is relative to the repository root (the config's directory), the
//! same whichever way the config was found: discovered from a subdirectory, `-c ../fluxgen.yaml`,
//! or `-c /absolute/fluxgen.yaml` from a directory outside the repository.
//!
//! One scenario runs the same commands each way on a fresh repository (`emit --all`, `check`
//! with drift in two generated files and two missing lines of one namespace `kustomization.yaml`,
//! `check edge`, `emit edge -o`, `plan`, `doctor`): the exit codes, stdout and stderr must be
//! byte for byte the same, hold no absolute path, and `snapshots/paths/scenario.snap` holds them.

#[allow(dead_code)]
mod support;

use std::fs;
use std::path::Path;

use support::{Run, fluxgen, run, workdir};

/// The namespace `kustomization.yaml` of cluster `edge`, the user's: it lists neither app.
const USER_INDEX: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n";

const EDGE_DIR: &str = "kubernetes/edge/apps/flux-system";

/// How the config is found.
#[derive(Clone, Copy, Debug)]
enum Way {
    /// From the repository's `sub/` directory, no `-c`.
    Discovered,
    /// From `sub/`, `-c ../fluxgen.yaml`.
    Relative,
    /// From a directory outside the repository, `-c <absolute path>`.
    Absolute,
}

/// The scenario's commands one way, each with its label and what it printed.
fn scenario(way: Way) -> Vec<(String, Run)> {
    let repo = workdir();
    let outside = workdir();
    let root = repo.path();
    let sub = root.join("sub");
    fs::create_dir(&sub).unwrap();
    assert_eq!(run(fluxgen(root, &["init"])).code, Some(0));
    fs::create_dir_all(root.join(EDGE_DIR)).unwrap();
    fs::write(root.join(EDGE_DIR).join("kustomization.yaml"), USER_INDEX).unwrap();

    let config = root.join("fluxgen.yaml").display().to_string();
    let abs_dir = root.join(EDGE_DIR).display().to_string();
    let rel_dir = format!("../{EDGE_DIR}");
    let (cwd, prefix, dir, repo_arg): (&Path, Vec<&str>, &str, String) = match way {
        Way::Discovered => (&sub, vec![], &rel_dir, "..".to_owned()),
        Way::Relative => (&sub, vec!["-c", "../fluxgen.yaml"], &rel_dir, "..".to_owned()),
        Way::Absolute => (outside.path(), vec!["-c", &config], &abs_dir, "..".to_owned()),
    };
    // doctor scans `--repo`: the repository root, spelled the same each way (its title echoes it).
    let doctor_cwd = if matches!(way, Way::Absolute) { &sub } else { cwd };
    let mut runs = Vec::new();
    let mut step = |label: &str, cwd: &Path, args: &[&str]| {
        let args: Vec<&str> = prefix.iter().copied().chain(args.iter().copied()).collect();
        runs.push((label.to_owned(), run(fluxgen(cwd, &args))));
    };
    step("emit --all", cwd, &["emit", "--all"]);
    let operator = root.join(EDGE_DIR).join("flux-operator/app/helmrelease.yaml");
    let text = fs::read_to_string(&operator).unwrap();
    fs::write(&operator, text.replace("interval: 1h", "interval: 2h")).unwrap();
    fs::remove_file(root.join(EDGE_DIR).join("flux-instance/ks.yaml")).unwrap();
    step("check --all", cwd, &["check", "--all"]);
    step(
        "check --all --format markdown",
        cwd,
        &["check", "--all", "--format", "markdown"],
    );
    step("check edge", cwd, &["check", "edge"]);
    step("emit edge -o <edge dir>", cwd, &["emit", "edge", "-o", dir]);
    step("plan edge", cwd, &["plan", "edge"]);
    step("doctor --repo ..", doctor_cwd, &["doctor", "--repo", &repo_arg]);
    for (label, out) in &runs {
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            for absolute in [root.to_string_lossy(), outside.path().to_string_lossy()] {
                assert!(
                    !text.contains(absolute.as_ref()),
                    "{way:?}: `{label}` prints an absolute path on {stream}:\n{text}"
                );
            }
            assert!(
                !text.contains("a/../") && !text.contains(" ../k"),
                "{way:?}: `{label}`:\n{text}"
            );
        }
    }
    runs
}

fn render(runs: &[(String, Run)]) -> String {
    let mut out = String::new();
    for (label, run) in runs {
        out.push_str(&format!(
            "=== fluxgen {label}\nexit: {:?}\n--- stdout\n{}--- stderr\n{}",
            run.code, run.stdout, run.stderr
        ));
    }
    out
}

#[test]
fn every_path_is_relative_to_the_repository_root_whichever_way_the_config_was_found() {
    let discovered = render(&scenario(Way::Discovered));
    for way in [Way::Relative, Way::Absolute] {
        let other = render(&scenario(way));
        assert_eq!(discovered, other, "{way:?} prints other paths than a discovered config");
    }
    // check counts files: the user's kustomization.yaml lacking two lines is one file.
    assert!(discovered.contains("3 file(s) drift from the config"), "{discovered}");
    support::snapshot_settings("paths").bind(|| insta::assert_snapshot!("scenario", discovered));
}
