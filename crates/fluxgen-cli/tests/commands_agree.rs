//! Every command finds the repository and its config the same way: the root is the directory of
//! the config (found from the current directory up) or what `--repo` says, and everything is
//! judged there; and each says, in the user's terms, what it could not judge.

#![cfg(unix)]

#[allow(dead_code)]
mod support;

use std::fs;
use std::path::Path;

use support::{fluxgen, run_lossy, workdir};

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("create a directory");
    fs::write(path, text).expect("write a file");
}

const CONFIG: &str = "repository: { url: ssh://git@github.com/example/home-ops }\nclusters: { edge: { phase: operator } }\n\
                      rollout: [edge]\n";

/// A repository whose only defect is outside `kubernetes/edge/apps`: a kustomization in
/// `kubernetes/edge/flux` listing a file that does not exist.
fn repository(root: &Path) {
    write(&root.join("fluxgen.yaml"), CONFIG);
    write(
        &root.join("kubernetes/edge/flux/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./gone.yaml\n",
    );
    write(
        &root.join("kubernetes/edge/apps/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    );
}

#[test]
fn doctor_from_a_subdirectory_judges_the_repository_of_its_config() {
    let dir = workdir();
    repository(dir.path());
    let from_root = run_lossy(fluxgen(dir.path(), &["doctor", "--format", "json"]));
    assert!(
        from_root.stdout.contains("kubernetes/edge/flux/kustomization.yaml"),
        "{}",
        from_root.stdout
    );
    let from_below = run_lossy(fluxgen(
        &dir.path().join("kubernetes/edge/apps"),
        &["doctor", "--format", "json"],
    ));
    assert_eq!(from_below.code, from_root.code, "{}", from_below.stderr);
    assert!(
        from_below.stdout.contains("kubernetes/edge/flux/kustomization.yaml"),
        "run from a subdirectory, doctor judged only the subdirectory:\n{}",
        from_below.stdout
    );
}

#[test]
fn plan_and_doctor_take_the_config_of_the_repository_repo_names() {
    let dir = workdir();
    // The current directory has a config of its own, for another cluster.
    write(
        &dir.path().join("fluxgen.yaml"),
        "repository: { url: ssh://git@github.com/example/other }\nclusters: { other: { phase: operator } }\n",
    );
    repository(&dir.path().join("repo"));
    let plan = run_lossy(fluxgen(dir.path(), &["plan", "edge", "--repo", "repo"]));
    assert_eq!(plan.code, Some(0), "plan --repo read another config: {}", plan.stderr);
    let doctor = run_lossy(fluxgen(dir.path(), &["doctor", "--repo", "repo"]));
    assert!(
        doctor.stdout.contains("cluster edge: phase operator (fluxgen.yaml)") && !doctor.stdout.contains("other"),
        "doctor --repo took another config: {}",
        doctor.stdout
    );
}

#[test]
fn doctor_never_calls_a_repository_it_could_not_read_clean() {
    let dir = workdir();
    repository(dir.path());
    fs::remove_file(dir.path().join("kubernetes/edge/flux/kustomization.yaml")).expect("remove");
    write(
        &dir.path().join("kubernetes/edge/flux/kustomization.yaml"),
        "resources: []\n",
    );
    let clean = run_lossy(fluxgen(dir.path(), &["doctor"]));
    fs::write(
        dir.path().join("kubernetes/edge/apps/secret.yaml"),
        b"kind: Secret\ndata: \xff\xfe\n",
    )
    .expect("write");
    let run = run_lossy(fluxgen(dir.path(), &["doctor"]));
    assert_eq!(
        clean.code,
        Some(0),
        "the repository without the file is clean: {}",
        clean.stdout
    );
    assert_eq!(
        run.code,
        Some(1),
        "a file doctor could not read made it clean: {}",
        run.stdout
    );
    assert!(run.stdout.contains("cannot judge"), "{}", run.stdout);
    assert!(
        run.stdout.contains("kubernetes/edge/apps/secret.yaml"),
        "{}",
        run.stdout
    );
}
