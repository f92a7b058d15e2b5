//! `fluxgen emit` and `fluxgen plan` refuse a config whose sync would adopt the old root
//! Kustomization `flux-system` and repoint it at a directory that lacks what it applies (which
//! would prune every application): exit 2, the reason and the fix on stderr, nothing written.
//! The config `fluxgen import` writes for the same repository is accepted.

#[allow(dead_code)]
mod support;

use support::{Links, Run, copy_tree, core_tests, fluxgen, read_tree, run, workdir};

#[test]
fn emit_and_plan_refuse_a_sync_that_repoints_the_root_and_write_nothing() {
    let dir = workdir();
    let repo = dir.path().join("repo");
    copy_tree(&core_tests().join("repos/root-named-flux-system"), &repo);
    let before = read_tree(&repo, Links::Skip);
    for args in [
        &["emit", "main"][..],
        &["emit", "main", "-o", "kubernetes/main/apps/flux-system"],
        &["emit", "--all"],
        &["plan", "main"],
    ] {
        let Run {
            code, stdout, stderr, ..
        } = run(fluxgen(&repo, args));
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        for needle in [
            "cluster `main`: the sync `flux-system` adopts the existing Kustomization `flux-system` \
             (kubernetes/main/flux/config/cluster.yaml) and repoints it from `kubernetes/main/flux` to \
             `kubernetes/main/sync`",
            "Kustomization cluster-apps",
            "instance.sync.path: kubernetes/main/flux",
        ] {
            assert!(stderr.contains(needle), "{args:?}: no `{needle}` in\n{stderr}");
        }
        assert_eq!(read_tree(&repo, Links::Skip), before, "{args:?} wrote something");
    }
    // doctor reports the same decision as an error.
    let Run { code, stdout, .. } = run(fluxgen(&repo, &["doctor"]));
    assert_eq!(code, Some(1));
    assert!(stdout.contains("error[sync-repoints-root] fluxgen.yaml"), "{stdout}");
    // The config import writes adopts the root where it is: emit and plan accept it.
    let Run { code, stderr, .. } = run(fluxgen(&repo, &["import", "--force"]));
    assert_eq!(code, Some(0), "{stderr}");
    for args in [&["plan", "main"][..], &["emit", "main"]] {
        let Run { code, stderr, .. } = run(fluxgen(&repo, args));
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    }
}
