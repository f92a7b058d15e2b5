//! The `fluxgen` binary end to end: exit code, stdout and stderr of each command (snapshots in
//! `snapshots/cli/`), and what a command did or did not do to the files around it.
//!
//! Every command runs in a fresh temporary directory as its working directory, with
//! `NO_COLOR=1`, so no `fluxgen.yaml` of a parent directory is picked up and every path in the
//! output is relative (the snapshots do not depend on where the temporary directory is).

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, SystemTime};

use insta_cmd::assert_cmd_snapshot;
use support::{Run, fluxgen, run, workdir};

/// The note printed when the built-in example stands in for a config file.
const BUILT_IN_NOTE: &str = "using the built-in example";

/// A plaintext webhook token; no output may ever contain it.
const SECRET: &str = "ghp_SECRETVALUE123";

/// Runs `$cmd` and snapshots its exit code, stdout and stderr as `snapshots/cli/$name.snap`.
macro_rules! snapshot {
    ($name:expr, $cmd:expr) => {
        support::snapshot_settings("cli").bind(|| assert_cmd_snapshot!($name, $cmd))
    };
}

/// What a path looked like: its bytes (none for a directory), modification time and inode,
/// so a rewrite with the same bytes (a new file renamed into place) is seen too.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    content: Option<Vec<u8>>,
    modified: SystemTime,
    inode: u64,
}

#[cfg(unix)]
fn inode(meta: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> u64 {
    0
}

/// Every file and directory below `root` (relative, `/`-separated), with its state.
fn state(root: &Path) -> BTreeMap<String, Entry> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("read a directory") {
            let path = entry.expect("read a directory entry").path();
            let meta = fs::symlink_metadata(&path).expect("stat a path");
            let content = if meta.is_dir() {
                pending.push(path.clone());
                None
            } else {
                Some(fs::read(&path).expect("read a file"))
            };
            let relative = path.strip_prefix(root).expect("below root");
            found.insert(
                relative.to_string_lossy().replace('\\', "/"),
                Entry {
                    content,
                    modified: meta.modified().expect("modification time"),
                    inode: inode(&meta),
                },
            );
        }
    }
    found
}

/// The relative paths of the regular files below `root`.
fn files(root: &Path) -> Vec<String> {
    state(root)
        .into_iter()
        .filter(|(_, entry)| entry.content.is_some())
        .map(|(path, _)| path)
        .collect()
}

fn write(path: impl AsRef<Path>, text: &str) {
    let path = path.as_ref();
    fs::create_dir_all(path.parent().expect("a file has a parent")).expect("create the parent directory");
    fs::write(path, text).expect("write a fixture");
}

fn read(path: impl AsRef<Path>) -> String {
    fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("read {}: {e}", path.as_ref().display()))
}

/// The files `fluxgen emit edge -o DIR` writes for the built-in example, relative to DIR.
const EDGE_FILES: [&str; 11] = [
    "flux-instance/app/externalsecret.yaml",
    "flux-instance/app/helmrelease.yaml",
    "flux-instance/app/kustomization.yaml",
    "flux-instance/app/ocirepository.yaml",
    "flux-instance/app/receiver.yaml",
    "flux-instance/ks.yaml",
    "flux-operator/app/helmrelease.yaml",
    "flux-operator/app/kustomization.yaml",
    "flux-operator/app/ocirepository.yaml",
    "flux-operator/ks.yaml",
    "kustomization.yaml",
];

// 1. The stream of the built-in example.

#[test]
fn emit_edge_without_a_config_prints_the_built_in_example_as_one_stream() {
    let dir = workdir();
    snapshot!("emit-edge-built-in", fluxgen(dir.path(), &["emit", "edge"]));

    let out = run(fluxgen(dir.path(), &["emit", "edge"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains(BUILT_IN_NOTE), "{}", out.stderr);
    assert!(out.stdout.starts_with("# Source: "), "{}", out.stdout);

    let sources: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("# Source: "))
        .collect();
    let expected: Vec<&str> = EDGE_FILES
        .iter()
        .copied()
        .filter(|path| *path != "kustomization.yaml")
        .collect();
    assert_eq!(sources, expected, "one `# Source:` line per generated file, sorted");
    // Every file is one document, introduced by its `# Source:` line.
    for (index, chunk) in out.stdout.split("# Source: ").skip(1).enumerate() {
        let (_, body) = chunk.split_once('\n').expect("a path line");
        assert!(
            body.starts_with("---\n"),
            "file {index} does not start with `---`:\n{body}"
        );
    }

    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&out.stdout).unwrap_or_else(|e| panic!("stdout is not a YAML stream: {e}"));
    assert_eq!(documents.len(), sources.len(), "one YAML document per file");
    let kinds: Vec<&str> = documents
        .iter()
        .map(|doc| doc["kind"].as_str().expect("every document has a kind"))
        .collect();
    for kind in [
        "OCIRepository",
        "HelmRelease",
        "Kustomization",
        "ExternalSecret",
        "Receiver",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in the stream: {kinds:?}");
    }
    assert!(documents.iter().all(|doc| doc["apiVersion"].is_string()));

    assert!(files(dir.path()).is_empty(), "printing the stream wrote files");
}

#[test]
fn emit_prints_the_same_bytes_every_time() {
    let dir = workdir();
    let first = run(fluxgen(dir.path(), &["emit", "edge"]));
    let second = run(fluxgen(dir.path(), &["emit", "edge"]));
    assert_eq!(first.code, Some(0));
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.stderr, second.stderr);
}

// 2. A cluster at phase `prepare`.

#[test]
fn emit_of_a_cluster_at_phase_prepare_prints_nothing_and_says_why() {
    let dir = workdir();
    snapshot!("emit-main-prepare", fluxgen(dir.path(), &["emit", "main"]));

    let out = run(fluxgen(dir.path(), &["emit", "main"]));
    assert_eq!(out.code, Some(0));
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("phase `prepare`"), "{}", out.stderr);
}

// 3. An unknown cluster.

#[test]
fn emit_of_an_unknown_cluster_fails_and_lists_the_known_ones() {
    let dir = workdir();
    snapshot!("emit-unknown-cluster", fluxgen(dir.path(), &["emit", "nope"]));

    let out = run(fluxgen(dir.path(), &["emit", "nope"]));
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("`nope`"), "{}", out.stderr);
    assert!(out.stderr.contains("edge, main"), "{}", out.stderr);
}

// 4. Writing twice.

#[test]
fn emit_to_a_directory_twice_leaves_every_file_alone_the_second_time() {
    let dir = workdir();
    snapshot!("emit-output-first", fluxgen(dir.path(), &["emit", "edge", "-o", "out"]));
    assert_eq!(files(&dir.path().join("out")), EDGE_FILES);

    let before = state(dir.path());
    // Modification times have a coarse resolution on some file systems: wait long enough for
    // a rewrite to show.
    sleep(Duration::from_millis(1100));
    snapshot!(
        "emit-output-second",
        fluxgen(dir.path(), &["emit", "edge", "-o", "out"])
    );
    assert_eq!(state(dir.path()), before, "the second run changed the tree");

    let third = run(fluxgen(dir.path(), &["emit", "edge", "-o", "out"]));
    assert_eq!(third.code, Some(0));
    assert_eq!(third.stdout, "");
    assert!(
        third.stderr.contains("0 written, 11 unchanged, 0 removed"),
        "{}",
        third.stderr
    );
    assert!(!third.stderr.contains("wrote "), "{}", third.stderr);
    assert_eq!(state(dir.path()), before, "the third run changed the tree");
}

#[test]
fn written_files_are_the_streamed_files() {
    let dir = workdir();
    let stream = run(fluxgen(dir.path(), &["emit", "edge"])).stdout;
    assert_eq!(run(fluxgen(dir.path(), &["emit", "edge", "-o", "out"])).code, Some(0));
    let mut rebuilt = String::new();
    for path in EDGE_FILES.iter().filter(|path| **path != "kustomization.yaml") {
        rebuilt.push_str(&format!(
            "# Source: {path}\n{}",
            read(dir.path().join("out").join(path))
        ));
    }
    assert_eq!(rebuilt, stream);
}

// 5. A hand-written file at a generated path.

#[test]
fn emit_refuses_to_overwrite_a_hand_written_file_and_writes_nothing() {
    let dir = workdir();
    let out = dir.path().join("out");
    let hand_written =
        "---\n# my own release, not generated\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n";
    write(out.join("flux-operator/app/helmrelease.yaml"), hand_written);
    write(out.join("addons/ks.yaml"), "---\nkind: Kustomization\n");
    let before = state(dir.path());

    snapshot!(
        "emit-output-refuses-hand-written",
        fluxgen(dir.path(), &["emit", "edge", "-o", "out"])
    );
    assert_eq!(state(dir.path()), before, "a refused run changed the tree");

    let again = run(fluxgen(dir.path(), &["emit", "edge", "-o", "out"]));
    assert_eq!(again.code, Some(2));
    assert_eq!(again.stdout, "");
    assert!(
        again.stderr.contains("out/flux-operator/app/helmrelease.yaml"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("nothing was written"), "{}", again.stderr);
    assert_eq!(state(dir.path()), before, "a refused run changed the tree");
    assert_eq!(read(out.join("flux-operator/app/helmrelease.yaml")), hand_written);
}

// 6. Stale generated files.

#[test]
fn emit_removes_generated_files_the_config_no_longer_produces_and_keeps_the_users() {
    let dir = workdir();
    let out = dir.path().join("out");
    // First the built-in example: a webhook with an ExternalSecret token.
    assert_eq!(run(fluxgen(dir.path(), &["emit", "edge", "-o", "out"])).code, Some(0));
    assert!(out.join("flux-instance/app/receiver.yaml").is_file());
    // A file of the user's in an app directory, and a generated-looking file outside fluxgen's
    // two app directories: neither is fluxgen's to delete.
    let notes = "# notes about the flux-instance app\n";
    write(out.join("flux-instance/app/notes.yaml"), notes);
    let elsewhere = "---\n# Generated by fluxgen from fluxgen.yaml: copied by hand\nkind: ConfigMap\n";
    write(out.join("addons/app/configmap.yaml"), elsewhere);

    // Then a config without the webhook: its ExternalSecret and Receiver are stale.
    write(
        dir.path().join("fluxgen.yaml"),
        &fluxgen_core::config::EXAMPLE_CONFIG.replace(
            "  webhook:\n    provider: github\n    token:\n      externalSecret:\n        store: onepassword-connect\n        key: flux\n        property: FLUX_GITHUB_WEBHOOK_TOKEN\n",
            "  webhook:\n    provider: none\n",
        ),
    );
    assert!(read(dir.path().join("fluxgen.yaml")).contains("provider: none"));
    snapshot!(
        "emit-output-removes-stale",
        fluxgen(dir.path(), &["emit", "edge", "-o", "out"])
    );

    let mut expected: Vec<String> = EDGE_FILES
        .iter()
        .filter(|path| !path.ends_with("externalsecret.yaml") && !path.ends_with("receiver.yaml"))
        .map(|path| path.to_string())
        .collect();
    expected.push("flux-instance/app/notes.yaml".into());
    expected.push("addons/app/configmap.yaml".into());
    expected.sort();
    assert_eq!(files(&out), expected);
    assert_eq!(read(out.join("flux-instance/app/notes.yaml")), notes);
    assert_eq!(read(out.join("addons/app/configmap.yaml")), elsewhere);
    let app = read(out.join("flux-instance/app/kustomization.yaml"));
    assert!(
        !app.contains("receiver.yaml") && !app.contains("externalsecret.yaml"),
        "{app}"
    );
}

// 7. The namespace kustomization.yaml.

#[test]
fn emit_generates_the_namespace_kustomization_where_it_is_absent() {
    let dir = workdir();
    assert_eq!(run(fluxgen(dir.path(), &["emit", "edge", "-o", "out"])).code, Some(0));
    let index = read(dir.path().join("out/kustomization.yaml"));
    assert!(index.contains("# Generated by fluxgen"), "{index}");
    assert!(index.contains("  - ./flux-instance/ks.yaml\n"), "{index}");
    assert!(index.contains("  - ./flux-operator/ks.yaml\n"), "{index}");
}

#[test]
fn emit_leaves_the_users_namespace_kustomization_alone_and_names_the_missing_lines() {
    let dir = workdir();
    let index = dir.path().join("out/kustomization.yaml");
    let own =
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./addons/ks.yaml\n";
    write(&index, own);
    let before = state(&dir.path().join("out"))
        .remove("kustomization.yaml")
        .expect("the fixture exists");

    snapshot!(
        "emit-output-hints-index-lines",
        fluxgen(dir.path(), &["emit", "edge", "-o", "out"])
    );
    let after = state(&dir.path().join("out"))
        .remove("kustomization.yaml")
        .expect("still there");
    assert_eq!(after, before, "the user's kustomization.yaml was touched");

    // The hints stay until the lines are there, and only for the lines still missing.
    write(&index, &format!("{own}  - ./flux-operator/ks.yaml\n"));
    let out = run(fluxgen(dir.path(), &["emit", "edge", "-o", "out"]));
    assert_eq!(out.code, Some(0));
    assert!(out.stderr.contains("`  - ./flux-instance/ks.yaml`"), "{}", out.stderr);
    assert!(!out.stderr.contains("`  - ./flux-operator/ks.yaml`"), "{}", out.stderr);
}

// 8. A config with five mistakes.

const FIVE_MISTAKES: &str = "\
repository:
  url: ssh://git@github.com/example/haynes-ops
  branch: main
defaults:
  path: kubernetes/{cluster}/apps/flux-system
  operator:
    version: 0.58.1
  instance:
    distribution:
      version: 2.9.x
    components:
      - source-controller
      - kustomise-controller
    sync:
      name: flux-system
      path: kubernetes/{cluster}/flux/cluster
      intervall: 1h
  webhook:
    provider: none
clusters:
  edge:
    phase: instance
    apps:
      interval: 10 minutes
  Main_Cluster:
    phase: prepare
    operator: 5
rollout: [edge, Main_Cluster]
";

#[test]
fn a_config_with_five_mistakes_gets_five_located_errors_and_writes_nothing() {
    let dir = workdir();
    write(dir.path().join("fluxgen.yaml"), FIVE_MISTAKES);
    let before = state(dir.path());

    snapshot!(
        "config-five-mistakes",
        fluxgen(dir.path(), &["-c", "fluxgen.yaml", "emit", "edge"])
    );
    let out = run(fluxgen(dir.path(), &["-c", "fluxgen.yaml", "emit", "edge"]));
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stdout, "");
    assert!(!out.stderr.contains(BUILT_IN_NOTE), "{}", out.stderr);

    // `file:line:col: key.path: message`, one line per mistake, in file order.
    let located: Vec<(u32, u32, &str)> = out
        .stderr
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("fluxgen.yaml:"))
        .map(|rest| {
            let mut parts = rest.splitn(4, ':');
            let line = parts.next().and_then(|n| n.parse().ok()).expect("a line number");
            let column = parts.next().and_then(|n| n.parse().ok()).expect("a column number");
            let key = parts.next().expect("a key path").trim();
            assert!(parts.next().is_some_and(|message| !message.trim().is_empty()));
            (line, column, key)
        })
        .collect();
    let keys: Vec<(u32, &str)> = located.iter().map(|(line, _, key)| (*line, *key)).collect();
    assert_eq!(
        keys,
        [
            (13, "defaults.instance.components[1]"),
            (17, "defaults.instance.sync.intervall"),
            (24, "clusters.edge.apps.interval"),
            (25, "clusters.Main_Cluster"),
            (27, "clusters.Main_Cluster.operator"),
        ],
        "{}",
        out.stderr
    );
    assert!(located.iter().all(|(_, column, _)| *column > 0));
    assert_eq!(state(dir.path()), before, "a bad config wrote something");

    // Writing to a directory is refused just the same, before anything is created.
    let write = run(fluxgen(
        dir.path(),
        &["-c", "fluxgen.yaml", "emit", "edge", "-o", "out"],
    ));
    assert_eq!(write.code, Some(2));
    assert_eq!(write.stderr, out.stderr);
    let all = run(fluxgen(dir.path(), &["-c", "fluxgen.yaml", "emit", "--all"]));
    assert_eq!(all.code, Some(2));
    assert_eq!(state(dir.path()), before, "a bad config wrote something");
}

// 9. A plaintext secret.

#[test]
fn a_plaintext_token_is_refused_without_printing_it() {
    let tokens = [
        SECRET.to_owned(),
        format!("\"{SECRET}\""),
        format!("{{secret: {SECRET}}}"),
        format!("{{externalSecret: {SECRET}}}"),
        format!("{{value: {SECRET}}}"),
    ];
    for (index, token) in tokens.iter().enumerate() {
        let dir = workdir();
        let config = format!(
            "repository:\n  url: https://github.com/example/fleet\nclusters:\n  edge:\n    webhook: {{provider: github, token: {token}}}\n"
        );
        write(dir.path().join("fluxgen.yaml"), &config);
        let before = state(dir.path());
        if index == 0 {
            // `-c` keeps the path in the messages relative, so the snapshot is stable.
            snapshot!(
                "config-plaintext-token",
                fluxgen(dir.path(), &["-c", "fluxgen.yaml", "emit", "edge"])
            );
        }
        for args in [
            &["emit", "edge"][..],
            &["emit", "edge", "-o", "out"],
            &["emit", "--all"],
        ] {
            let out = run(fluxgen(dir.path(), args));
            assert_eq!(out.code, Some(2), "token: {token}, args {args:?}\n{}", out.stderr);
            assert!(out.stderr.contains("fluxgen.yaml:5:"), "{}", out.stderr);
            for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !text.contains("SECRETVALUE"),
                    "token: {token}, args {args:?}: the value is on {stream}:\n{text}"
                );
            }
            assert_eq!(state(dir.path()), before, "a refused config wrote something");
        }
    }
}

// 10. init.

#[test]
fn init_writes_the_example_once_and_emit_then_uses_it() {
    let dir = workdir();
    snapshot!("init", fluxgen(dir.path(), &["init"]));
    let config = dir.path().join("fluxgen.yaml");
    assert_eq!(read(&config), fluxgen_core::config::EXAMPLE_CONFIG);

    let before = state(dir.path());
    sleep(Duration::from_millis(1100));
    snapshot!("init-refuses-existing", fluxgen(dir.path(), &["init"]));
    assert_eq!(state(dir.path()), before, "a second init touched the file");

    let found = run(fluxgen(dir.path(), &["emit", "edge"]));
    assert_eq!(found.code, Some(0), "{}", found.stderr);
    assert!(!found.stderr.contains(BUILT_IN_NOTE), "{}", found.stderr);
    let built_in = run(fluxgen(workdir().path(), &["emit", "edge"]));
    assert!(built_in.stderr.contains(BUILT_IN_NOTE));
    assert_eq!(found.stdout, built_in.stdout);

    // The file is found from a subdirectory too.
    fs::create_dir(dir.path().join("sub")).unwrap();
    let below = run(fluxgen(&dir.path().join("sub"), &["emit", "edge"]));
    assert_eq!(below.code, Some(0));
    assert!(!below.stderr.contains(BUILT_IN_NOTE), "{}", below.stderr);
    assert_eq!(below.stdout, built_in.stdout);
}

#[test]
fn init_writes_where_it_is_told() {
    let dir = workdir();
    let out = run(fluxgen(dir.path(), &["init", "-o", "other.yaml"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(files(dir.path()), ["other.yaml"]);
    let emit = run(fluxgen(dir.path(), &["-c", "other.yaml", "emit", "edge"]));
    assert_eq!(emit.code, Some(0), "{}", emit.stderr);
    assert!(!emit.stderr.contains(BUILT_IN_NOTE));
}

#[test]
fn init_starts_the_flux_bootstrap_layout_too() {
    let dir = workdir();
    let out = run(fluxgen(dir.path(), &["init", "--layout", "flux-bootstrap"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        read(dir.path().join("fluxgen.yaml")),
        fluxgen_core::config::EXAMPLE_BOOTSTRAP_CONFIG
    );
    let config = fs::read_to_string(dir.path().join("fluxgen.yaml")).unwrap();
    fs::write(
        dir.path().join("fluxgen.yaml"),
        config.replacen("staging:\n    phase: prepare", "staging:\n    phase: operator", 1),
    )
    .unwrap();
    // The operator app goes beside the gotk files, and its ks.yaml is namespaced itself.
    let emit = run(fluxgen(dir.path(), &["emit", "staging"]));
    assert_eq!(emit.code, Some(0), "{}", emit.stderr);
    assert!(
        emit.stdout
            .contains("path: ./clusters/staging/flux-system/flux-operator/app"),
        "{}",
        emit.stdout
    );
    assert!(
        emit.stdout.contains("name: flux-operator\n  namespace: flux-system\n"),
        "{}",
        emit.stdout
    );
}

// 11. emit --all.

const TWO_CLUSTERS: &str = "\
repository:
  url: https://github.com/example/fleet
defaults:
  operator:
    version: 0.58.1
  instance:
    distribution:
      version: 2.9.x
  webhook:
    provider: none
clusters:
  alpha:
    phase: instance
  beta:
    phase: instance
rollout: [alpha, beta]
";

fn cluster_files(prefix: &str) -> Vec<String> {
    let mut expected = Vec::new();
    for cluster in ["alpha", "beta"] {
        for file in [
            "flux-instance/app/helmrelease.yaml",
            "flux-instance/app/kustomization.yaml",
            "flux-instance/app/ocirepository.yaml",
            "flux-instance/ks.yaml",
            "flux-operator/app/helmrelease.yaml",
            "flux-operator/app/kustomization.yaml",
            "flux-operator/app/ocirepository.yaml",
            "flux-operator/ks.yaml",
            "kustomization.yaml",
        ] {
            expected.push(format!("{prefix}kubernetes/{cluster}/apps/flux-system/{file}"));
        }
    }
    expected
}

#[test]
fn emit_all_writes_every_cluster_under_its_path_from_the_configs_directory() {
    let dir = workdir();
    write(dir.path().join("repo/fluxgen.yaml"), TWO_CLUSTERS);
    snapshot!(
        "emit-all",
        fluxgen(dir.path(), &["-c", "repo/fluxgen.yaml", "emit", "--all"])
    );
    let mut expected = cluster_files("repo/");
    expected.push("repo/fluxgen.yaml".into());
    expected.sort();
    assert_eq!(files(dir.path()), expected);

    // Each cluster's files are what `emit <cluster>` prints.
    for cluster in ["alpha", "beta"] {
        let stream = run(fluxgen(dir.path(), &["-c", "repo/fluxgen.yaml", "emit", cluster])).stdout;
        let base = dir.path().join(format!("repo/kubernetes/{cluster}/apps/flux-system"));
        for chunk in stream.split("# Source: ").skip(1) {
            let (path, body) = chunk.split_once('\n').unwrap();
            assert_eq!(read(base.join(path)), body, "{cluster}: {path}");
        }
    }

    // From a subdirectory of the repository, the config is found and the paths still start
    // at its directory; nothing changed, so nothing is written.
    let sub = dir.path().join("repo/sub");
    fs::create_dir(&sub).unwrap();
    let before = state(dir.path());
    let again = run(fluxgen(&sub, &["emit", "--all"]));
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(
        again.stderr.contains("0 written, 18 unchanged, 0 removed"),
        "{}",
        again.stderr
    );
    assert_eq!(state(dir.path()), before);
}

#[test]
fn emit_all_with_root_writes_under_that_directory() {
    let dir = workdir();
    write(dir.path().join("repo/fluxgen.yaml"), TWO_CLUSTERS);
    snapshot!(
        "emit-all-root",
        fluxgen(
            dir.path(),
            &["-c", "repo/fluxgen.yaml", "emit", "--all", "--root", "elsewhere"]
        )
    );
    let mut expected = cluster_files("elsewhere/");
    expected.push("repo/fluxgen.yaml".into());
    expected.sort();
    assert_eq!(files(dir.path()), expected);
}

// 12. schema.

#[test]
fn schema_prints_the_json_schema_of_the_config() {
    let dir = workdir();
    let out = run(fluxgen(dir.path(), &["schema"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stderr, "");
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).expect("the schema is JSON");
    assert_eq!(schema["type"], "object");
    for key in ["repository", "defaults", "clusters", "rollout"] {
        assert!(schema["properties"][key].is_object(), "no properties.{key}");
    }
    assert!(schema["properties"]["clusters"]["additionalProperties"]["properties"]["phase"].is_object());
}

#[test]
fn completions_are_printed_for_each_shell() {
    let dir = workdir();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(fluxgen(dir.path(), &["completions", shell]));
        assert_eq!(out.code, Some(0), "{shell}: {}", out.stderr);
        assert!(out.stdout.contains("fluxgen"), "{shell}");
        assert_eq!(out.stderr, "", "{shell}");
    }
}

// Usage errors and unreadable configs.

#[test]
fn usage_errors_exit_2() {
    let dir = workdir();
    for args in [
        &["emit"][..],
        &["emit", "edge", "--all"],
        &["emit", "--root", "x", "edge"],
        &["frobnicate"],
        &["-c", "missing.yaml", "emit", "edge"],
    ] {
        let out = run(fluxgen(dir.path(), args));
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    }
    assert!(files(dir.path()).is_empty());
    snapshot!(
        "config-missing",
        fluxgen(dir.path(), &["-c", "missing.yaml", "emit", "edge"])
    );
}

// 13. A reader that goes away.

/// Runs fluxgen with a stdout pipe whose reader is already gone: every write fails with EPIPE.
fn run_into_a_closed_pipe(dir: &Path, args: &[&str]) -> Run {
    let (reader, writer) = std::io::pipe().expect("create a pipe");
    drop(reader);
    let mut cmd = fluxgen(dir, args);
    cmd.stdout(Stdio::from(writer));
    run(cmd)
}

#[test]
fn emit_into_a_pipe_closed_after_one_line_does_not_panic() {
    let dir = workdir();
    // `fluxgen emit edge | head -1`
    let mut child = fluxgen(dir.path(), &["emit", "edge"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fluxgen");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut first)
        .expect("read a line");
    assert!(first.starts_with("# Source: "), "{first}");
    let output = child.wait_with_output().expect("wait for fluxgen");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn printing_into_a_closed_pipe_exits_quietly() {
    let dir = workdir();
    for args in [&["emit", "edge"][..], &["schema"]] {
        let out = run_into_a_closed_pipe(dir.path(), args);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("error"), "{args:?}: {}", out.stderr);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn completions_into_a_closed_pipe_exit_quietly() {
    let dir = workdir();
    for shell in ["bash", "zsh"] {
        let out = run_into_a_closed_pipe(dir.path(), &["completions", shell]);
        assert!(!out.stderr.contains("panicked"), "{shell}: {}", out.stderr);
        assert_eq!(out.code, Some(0), "{shell}: {}", out.stderr);
    }
}

// Written files get the permissions of any other new file (0666 minus the umask).

#[cfg(unix)]
#[test]
fn written_files_have_the_usual_permissions() {
    use std::os::unix::fs::PermissionsExt;

    let dir = workdir();
    let reference = dir.path().join("reference");
    fs::write(&reference, "").unwrap();
    let usual = fs::metadata(&reference).unwrap().permissions().mode() & 0o777;
    assert_eq!(run(fluxgen(dir.path(), &["emit", "edge", "-o", "out"])).code, Some(0));
    for path in EDGE_FILES {
        let mode = fs::metadata(dir.path().join("out").join(path))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, usual, "{path}: {mode:o} instead of {usual:o}");
    }
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let dir = workdir();
    let colored = run(fluxgen(dir.path(), &["--color", "always", "emit", "nope"]));
    assert!(colored.stderr.contains("\x1b[1;31merror:\x1b[0m"), "{}", colored.stderr);
    // Not a terminal and NO_COLOR set: plain text, whatever `auto` would pick.
    let plain = run(fluxgen(dir.path(), &["emit", "nope"]));
    assert!(
        plain.stderr.starts_with("note: ") && !plain.stderr.contains('\x1b'),
        "{}",
        plain.stderr
    );
    let never = run(fluxgen(dir.path(), &["--color", "never", "emit", "nope"]));
    assert!(!never.stderr.contains('\x1b'), "{}", never.stderr);
    assert!(!colored.stdout.contains('\x1b') && colored.stdout.is_empty());
}

#[test]
fn explain_shows_the_effective_concurrency_of_kustomize_controller_and_what_set_it() {
    let dir = workdir();
    snapshot!(
        "explain-edge-kustomize",
        fluxgen(dir.path(), &["explain", "edge", "--controller", "kustomize-controller"])
    );
    let json = run(fluxgen(dir.path(), &["explain", "edge", "--output", "json"]));
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let explanation: serde_json::Value = serde_json::from_str(&json.stdout).expect("explain --output json prints JSON");
    assert_eq!(explanation["flux"]["requested"], "2.9.x");
    assert_eq!(explanation["flux"]["manifests"], "v2.9.4");
    let kustomize = explanation["controllers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["controller"] == "kustomize-controller")
        .expect("kustomize-controller is reported");
    let concurrent = kustomize["args"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["flag"] == "--concurrent")
        .unwrap();
    assert_eq!(concurrent["value"], "10");
    assert!(
        concurrent["set_by"].as_str().unwrap().starts_with("workers: 10"),
        "{concurrent}"
    );
}

#[test]
fn explain_uses_the_pinned_flux_minor_and_the_multitenancy_profile() {
    let dir = workdir();
    write(
        dir.path().join("fluxgen.yaml"),
        "repository: { url: ssh://git@github.com/example/haynes-ops }\n\
         clusters:\n  edge:\n    instance:\n      distribution: { version: v2.7.3 }\n      \
         cluster: { size: small, multitenant: true, tenantDefaultServiceAccount: flux-tenant }\n",
    );
    snapshot!(
        "explain-edge-2.7-multitenant",
        fluxgen(dir.path(), &["explain", "edge", "--controller", "helm-controller"])
    );
    let json = run(fluxgen(dir.path(), &["explain", "edge", "--output", "json"]));
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let explanation: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        explanation["flux"],
        serde_json::json!({
            "requested": "v2.7.3",
            "runs": "v2.7.3",
            "manifests": "v2.7.5",
            "source": "https://github.com/controlplaneio-fluxcd/flux-operator/tree/\
                       17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb/config/data/flux/v2.7.5",
        })
    );
    assert!(
        explanation["notes"][0]
            .as_str()
            .unwrap()
            .contains("the cluster runs v2.7.3")
    );
    let source = &explanation["controllers"][0];
    assert_eq!(source["controller"], "source-controller");
    assert_eq!(source["version"], "v1.7.4");
    // The operator's lockdown leaves source-controller alone.
    assert!(
        !source["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["flag"] == "--no-cross-namespace-refs")
    );
}

#[test]
fn explain_refuses_conflicting_tunings_and_unknown_controllers() {
    let dir = workdir();
    write(
        dir.path().join("fluxgen.yaml"),
        "repository: { url: ssh://git@github.com/example/haynes-ops }\n\
         defaults:\n  tuning:\n    workers: 10\n    patches:\n      - patch: |-\n          - op: add\n            \
         path: /spec/template/spec/containers/0/args/-\n            value: --concurrent=20\n        \
         target: { kind: Deployment, name: kustomize-controller }\n\
         clusters: { edge: {} }\n",
    );
    let conflict = run(fluxgen(dir.path(), &["explain", "edge"]));
    assert_eq!(conflict.code, Some(2));
    assert!(
        conflict.stderr.contains("--concurrent=10") && conflict.stderr.contains("--concurrent=20"),
        "{}",
        conflict.stderr
    );
    let other = workdir();
    let missing = run(fluxgen(
        other.path(),
        &["explain", "edge", "--controller", "image-automation-controller"],
    ));
    assert_eq!(missing.code, Some(2));
    assert!(
        missing.stderr.contains("does not run image-automation-controller"),
        "{}",
        missing.stderr
    );
}

#[test]
fn plan_prints_the_runbook_and_main_ahead_of_edge_is_refused() {
    let dir = workdir();
    let plan = run(fluxgen(dir.path(), &["plan", "edge"]));
    assert_eq!(plan.code, Some(0), "{}", plan.stderr);
    assert!(
        plan.stdout
            .starts_with("# Flux Operator migration: `edge` at phase `instance`"),
        "{}",
        plan.stdout
    );
    write(
        dir.path().join("fluxgen.yaml"),
        "repository: { url: ssh://git@github.com/example/haynes-ops }\n\
         clusters:\n  edge: { phase: instance }\n  main: { phase: prepare }\n\
         rollout: [main, edge]\n",
    );
    let refused = run(fluxgen(dir.path(), &["plan", "edge"]));
    assert_eq!(refused.code, Some(2));
    assert!(
        refused.stderr.contains("List `edge` before `main` in `rollout`"),
        "{}",
        refused.stderr
    );
    let allowed = run(fluxgen(dir.path(), &["--allow-out-of-order", "plan", "edge"]));
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
}

#[test]
fn check_finds_a_hand_edit_and_is_clean_after_emit_restores_it() {
    let dir = workdir();
    let clean = run(fluxgen(dir.path(), &["check", "--all"]));
    assert_eq!(
        clean.code,
        Some(1),
        "nothing is written yet: every file is missing\n{}",
        clean.stderr
    );
    assert_eq!(run(fluxgen(dir.path(), &["emit", "--all"])).code, Some(0));
    assert_eq!(run(fluxgen(dir.path(), &["check", "--all"])).code, Some(0));
    let file = dir
        .path()
        .join("kubernetes/edge/apps/flux-system/flux-operator/app/ocirepository.yaml");
    write(&file, &read(&file).replace("interval: 15m", "interval: 5m"));
    snapshot!("check-hand-edit", fluxgen(dir.path(), &["check", "edge"]));
    let markdown = run(fluxgen(dir.path(), &["check", "--all", "--format", "markdown"]));
    assert_eq!(markdown.code, Some(1));
    assert!(markdown.stdout.contains("```diff\n") && markdown.stdout.contains("-  interval: 5m\n+  interval: 15m\n"));
    assert_eq!(run(fluxgen(dir.path(), &["emit", "--all"])).code, Some(0));
    assert_eq!(run(fluxgen(dir.path(), &["check", "--all"])).code, Some(0));
}
