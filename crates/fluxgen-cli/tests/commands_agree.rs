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

#[test]
fn import_names_a_cluster_directory_that_cannot_be_a_cluster_name_in_the_users_terms() {
    let dir = workdir();
    let repo = dir.path().join("repo");
    // The one-cluster GOTK-era repository of the bad-repository corpus, its cluster directory
    // renamed `Edge_1` (and every path naming it).
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_repos/symlink-outside");
    support::copy_tree(&corpus, &repo);
    fs::rename(repo.join("kubernetes/edge"), repo.join("kubernetes/Edge_1")).expect("rename");
    for (path, text) in support::read_tree(&repo, support::Links::Skip) {
        let text = String::from_utf8(text).expect("UTF-8");
        if text.contains("kubernetes/edge") {
            fs::write(repo.join(path), text.replace("kubernetes/edge", "kubernetes/Edge_1")).expect("write");
        }
    }
    let run = run_lossy(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!run.stderr.contains("bug"), "{}", run.stderr);
    assert!(
        run.stderr.contains("kubernetes/Edge_1"),
        "names the directory: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rename the directory"),
        "says what to do: {}",
        run.stderr
    );
    assert!(!dir.path().join("fluxgen.yaml").exists(), "an error writes nothing");
}

#[test]
fn import_says_what_a_dangling_link_at_the_output_is() {
    let dir = workdir();
    let repo = dir.path().join("repo");
    // A one-cluster GOTK-era repository of the bad-repository corpus, its link to /etc left out.
    support::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_repos/symlink-outside"),
        &repo,
    );
    std::os::unix::fs::symlink("nowhere.yaml", dir.path().join("fluxgen.yaml")).expect("create a link");
    let run = run_lossy(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!run.stderr.contains("os error"), "{}", run.stderr);
    assert!(
        run.stderr.contains("symbolic link to a file that does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_advice_of_check_is_a_command_that_then_succeeds() {
    let dir = workdir();
    write(&dir.path().join("fluxgen.yaml"), CONFIG);
    let repo = dir.path().join("tree");
    fs::create_dir_all(&repo).expect("create a directory");
    // A file of the user's where a generated file belongs: emit refuses it until it is moved.
    let foreign = repo.join("kubernetes/edge/apps/flux-system/flux-operator/ks.yaml");
    write(&foreign, "user: file\n");
    let check = run_lossy(fluxgen(dir.path(), &["check", "--all", "--root", "tree"]));
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    let advice = check.stderr.lines().last().expect("advice");
    assert!(
        advice.contains("move ") && advice.contains("flux-operator/ks.yaml"),
        "{advice}"
    );
    let command = advice
        .rsplit_once("run `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(c, _)| c);
    let command: Vec<&str> = command.expect("a command to run").split_whitespace().skip(1).collect();
    fs::remove_file(&foreign).expect("follow the advice");
    let run = run_lossy(fluxgen(dir.path(), &command));
    assert_eq!(run.code, Some(0), "`{}` failed: {}", command.join(" "), run.stderr);
    let check = run_lossy(fluxgen(dir.path(), &["check", "--all", "--root", "tree"]));
    assert_eq!(check.code, Some(0), "{}", check.stderr);
}
