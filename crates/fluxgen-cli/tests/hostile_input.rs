//! Hostile repositories through the `fluxgen` binary: what a pull request from anyone can put in a
//! repository (links leaving it, credentials in URLs, text that would inject lines) never reaches
//! a file fluxgen writes or what it prints, and nothing outside the repository is read or written.

#![cfg(unix)]

#[allow(dead_code)]
mod support;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use support::{Run, fluxgen, run_lossy, workdir};

/// A string no repository holds: a file that has it is outside the repository.
const SECRET: &str = "OUTSIDE-SECRET-7f3c9a";

/// A one-cluster GOTK-era repository (cluster `edge`), the bootstrap kustomization given as its
/// text.
fn gotk_repository(root: &Path, bootstrap: &str) {
    let files = [
        ("kubernetes/edge/bootstrap/flux/kustomization.yaml", bootstrap),
        (
            "kubernetes/edge/flux/config/cluster.yaml",
            "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  \
             namespace: flux-system\nspec:\n  interval: 30m\n  url: ssh://git@github.com/example/home-ops\n  ref:\n    \
             branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: \
             cluster\n  namespace: flux-system\nspec:\n  interval: 30m\n  path: ./kubernetes/edge/flux\n  prune: true\n  \
             sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        (
            "kubernetes/edge/flux/config/kustomization.yaml",
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./cluster.yaml\n",
        ),
        (
            "kubernetes/edge/flux/apps.yaml",
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cluster-apps\n  \
             namespace: flux-system\nspec:\n  interval: 30m\n  path: ./kubernetes/edge/apps\n  prune: true\n  \
             sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        (
            "kubernetes/edge/apps/kustomization.yaml",
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
        ),
    ];
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("create a directory");
        fs::write(path, text).expect("write a file");
    }
}

/// A file outside the repository holding [`SECRET`], as a kustomize patch of a controller.
fn outside_patch() -> tempfile::TempDir {
    let outside = tempfile::tempdir().expect("a temporary directory");
    fs::write(
        outside.path().join("patch.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n  annotations:\n    \
             token: {SECRET}\n"
        ),
    )
    .expect("write a file");
    outside
}

fn assert_no_secret(label: &str, run: &Run) {
    assert!(
        !run.stdout.contains(SECRET),
        "{label}: the outside file reached stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(SECRET),
        "{label}: the outside file reached stderr:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{label}: {}", run.stderr);
}

#[test]
fn a_patch_file_linked_outside_the_repository_is_never_read() {
    let dir = workdir();
    let repo = dir.path().join("repo");
    gotk_repository(
        &repo,
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - \
         github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\npatches:\n  - path: token.yaml\n",
    );
    let outside = outside_patch();
    let link = repo.join("kubernetes/edge/bootstrap/flux/token.yaml");
    symlink(outside.path().join("patch.yaml"), &link).expect("create a link");

    let doctor = run_lossy(fluxgen(dir.path(), &["doctor", "--repo", "repo"]));
    assert_no_secret("doctor", &doctor);
    assert!(
        doctor.stdout.contains("kubernetes/edge/bootstrap/flux/token.yaml") || doctor.stderr.contains("token.yaml"),
        "doctor reports the link it did not follow:\n{}\n{}",
        doctor.stdout,
        doctor.stderr
    );

    let import = run_lossy(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    assert_no_secret("import", &import);
    assert!(
        import.stderr.contains("kubernetes/edge/bootstrap/flux/token.yaml"),
        "import reports the link it did not follow:\n{}",
        import.stderr
    );
    assert!(
        import.stderr.contains("outside the repository"),
        "import says why the link is not followed:\n{}",
        import.stderr
    );
    if let Ok(config) = fs::read_to_string(dir.path().join("fluxgen.yaml")) {
        assert!(
            !config.contains(SECRET),
            "the outside file reached fluxgen.yaml:\n{config}"
        );
    }
}

#[test]
fn a_values_file_linked_outside_the_repository_is_never_read() {
    // A flux-instance HelmRelease whose values come from a configMapGenerator file: the file
    // is a link to a file outside holding a FluxInstance whose sync names the secret.
    let dir = workdir();
    let repo = dir.path().join("repo");
    gotk_repository(
        &repo,
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - \
         github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n",
    );
    let app = repo.join("kubernetes/edge/apps/flux-system/flux-instance/app");
    fs::create_dir_all(&app).expect("create a directory");
    fs::write(
        app.join("kustomization.yaml"),
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./helmrelease.yaml\n\
         configMapGenerator:\n  - name: flux-instance-values\n    files:\n      - values.yaml=./values.yaml\n",
    )
    .expect("write a file");
    fs::write(
        app.join("helmrelease.yaml"),
        "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\n  \
         namespace: flux-system\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: flux-instance\n      \
         sourceRef:\n        kind: HelmRepository\n        name: controlplaneio\n  valuesFrom:\n    - kind: ConfigMap\n      \
         name: flux-instance-values\n",
    )
    .expect("write a file");
    let outside = tempfile::tempdir().expect("a temporary directory");
    fs::write(
        outside.path().join("values.yaml"),
        format!(
            "instance:\n  distribution:\n    version: 2.4.x\n    registry: ghcr.io/{SECRET}\n  sync:\n    kind: \
             GitRepository\n    url: https://github.com/{SECRET}/x\n    ref: refs/heads/main\n    path: {SECRET}\n    \
             name: {SECRET}\n"
        ),
    )
    .expect("write a file");
    symlink(outside.path().join("values.yaml"), app.join("values.yaml")).expect("create a link");

    for format in ["text", "markdown", "json"] {
        let doctor = run_lossy(fluxgen(dir.path(), &["doctor", "--repo", "repo", "--format", format]));
        assert_no_secret(&format!("doctor --format {format}"), &doctor);
    }
    let import = run_lossy(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    assert_no_secret("import", &import);
    if let Ok(config) = fs::read_to_string(dir.path().join("fluxgen.yaml")) {
        assert!(
            !config.contains(SECRET),
            "the outside file reached fluxgen.yaml:\n{config}"
        );
    }
}
