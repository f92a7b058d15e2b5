//! The command line as a user meets it (snapshots in `snapshots/cli-ux/`): a suggestion for
//! every mistyped name, completion of cluster and controller names driven as the shell drives
//! it, help and usage that tell the truth, notes only when something needs doing, messages in
//! the config's own terms, `fluxgen validate`, and the README's command table against
//! `fluxgen --help`.
//!
//! Every command runs in a fresh temporary directory with `NO_COLOR=1`; the config is named
//! relative to it (`-c fluxgen.yaml`), so no temporary path reaches a snapshot.

#[allow(dead_code)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;

use insta_cmd::assert_cmd_snapshot;
use support::{fluxgen, run, shared_dir, workdir, workspace_root};

/// Runs `$cmd` and snapshots its exit code, stdout and stderr as `snapshots/cli-ux/$name.snap`.
macro_rules! snapshot {
    ($name:expr, $cmd:expr) => {
        support::snapshot_settings("cli-ux").bind(|| assert_cmd_snapshot!($name, $cmd))
    };
}

fn write(path: impl AsRef<Path>, text: &str) {
    let path = path.as_ref();
    fs::create_dir_all(path.parent().expect("a parent")).expect("create the parent directory");
    fs::write(path, text).expect("write a fixture");
}

/// Three clusters, `storage` between `edge` and `main`; `main` still at `prepare`; `edge` runs
/// the image controllers too.
const THREE_CLUSTERS: &str = "\
repository: { url: ssh://git@github.com/example/haynes-ops }
defaults:
  path: kubernetes/{cluster}/apps/flux-system
  webhook: { provider: none }
  tuning:
    memoryLimit: 2Gi
clusters:
  edge:
    phase: instance
    instance:
      components: [source-controller, kustomize-controller, helm-controller, notification-controller, image-reflector-controller]
  storage:
    phase: operator
  main:
    phase: prepare
rollout: [edge, storage, main]
";

/// A directory with `fluxgen.yaml` = `config`.
fn with_config(config: &str) -> tempfile::TempDir {
    let dir = workdir();
    write(dir.path().join("fluxgen.yaml"), config);
    dir
}

// 1. Suggestions for every name a user types, the valid list when none is close.

#[test]
fn a_mistyped_cluster_gets_a_suggestion_and_an_unknown_one_the_list() {
    let dir = with_config(THREE_CLUSTERS);
    snapshot!(
        "unknown-cluster-close",
        fluxgen(dir.path(), &["-c", "fluxgen.yaml", "emit", "storag"])
    );
    snapshot!(
        "unknown-cluster-far",
        fluxgen(dir.path(), &["-c", "fluxgen.yaml", "plan", "zzz"])
    );
    for command in ["emit", "check", "validate", "explain", "plan"] {
        let out = run(fluxgen(dir.path(), &[command, "-c", "fluxgen.yaml", "egde"]));
        assert_eq!(out.code, Some(2), "{command}: {}", out.stderr);
        assert!(out.stderr.contains("did you mean `edge`?"), "{command}: {}", out.stderr);
    }
}

#[test]
fn a_mistyped_controller_gets_a_suggestion_and_an_unknown_one_the_list() {
    let dir = with_config(THREE_CLUSTERS);
    snapshot!(
        "unknown-controller-close",
        fluxgen(
            dir.path(),
            &[
                "explain",
                "-c",
                "fluxgen.yaml",
                "edge",
                "--controller",
                "kustomise-controller"
            ]
        )
    );
    snapshot!(
        "unknown-controller-far",
        fluxgen(
            dir.path(),
            &["explain", "-c", "fluxgen.yaml", "edge", "--controller", "cert-manager"]
        )
    );
}

#[test]
fn a_mistyped_phase_or_preset_in_the_config_gets_a_suggestion() {
    let dir = with_config(
        &THREE_CLUSTERS
            .replace("phase: operator", "phase: operater")
            .replace("memoryLimit: 2Gi", "preset: homeops"),
    );
    snapshot!(
        "config-phase-and-preset",
        fluxgen(dir.path(), &["emit", "-c", "fluxgen.yaml", "edge"])
    );
}

// 2. Completion, driven as the shells' registration scripts drive it.

/// `fluxgen` called back by the bash script: `COMPLETE=bash`, the index of the word under the
/// cursor, and the words after `--`.
fn bash_completion(dir: &Path, words: &[&str]) -> Command {
    let mut cmd = fluxgen(dir, &["--", "fluxgen"]);
    cmd.args(words)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", words.len().to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n");
    cmd
}

#[test]
fn bash_completes_cluster_names_from_the_config() {
    let dir = with_config(THREE_CLUSTERS);
    snapshot!("complete-bash-emit", bash_completion(dir.path(), &["emit", ""]));
    let out = run(bash_completion(dir.path(), &["plan", "st"]));
    assert_eq!(out.stdout, "storage", "{}", out.stderr);
    // The config named on the command line is the one completed from.
    write(
        dir.path().join("other.yaml"),
        &THREE_CLUSTERS.replace("storage", "backup"),
    );
    let out = run(bash_completion(dir.path(), &["-c", "other.yaml", "check", "b"]));
    assert_eq!(out.stdout, "backup", "{}", out.stderr);
    let out = run(bash_completion(dir.path(), &["validate", "--config=other.yaml", "b"]));
    assert_eq!(out.stdout, "backup", "{}", out.stderr);
}

#[test]
fn bash_completes_the_controllers_the_config_runs_for_controller() {
    let dir = with_config(THREE_CLUSTERS);
    snapshot!(
        "complete-bash-controller",
        bash_completion(dir.path(), &["explain", "edge", "--controller", ""])
    );
    let out = run(bash_completion(dir.path(), &["explain", "edge", "--controller", "im"]));
    assert_eq!(out.stdout, "image-reflector-controller", "{}", out.stderr);
}

#[test]
fn zsh_and_fish_complete_cluster_names_too() {
    let dir = with_config(THREE_CLUSTERS);
    let mut zsh = fluxgen(dir.path(), &["--", "fluxgen", "emit", ""]);
    zsh.env("COMPLETE", "zsh")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .env("_CLAP_IFS", "\n");
    snapshot!("complete-zsh-emit", zsh);
    let mut fish = fluxgen(dir.path(), &["--", "fluxgen", "check", "e"]);
    fish.env("COMPLETE", "fish");
    snapshot!("complete-fish-check", fish);
}

#[test]
fn the_completions_command_prints_the_dynamic_registration_script() {
    let dir = workdir();
    for shell in ["bash", "zsh", "fish"] {
        let out = run(fluxgen(dir.path(), &["completions", shell]));
        assert_eq!(out.code, Some(0), "{shell}: {}", out.stderr);
        assert!(out.stdout.contains("COMPLETE="), "{shell}: {}", out.stdout);
        // `COMPLETE=<shell> fluxgen` gives the same script, calling back the binary it ran.
        let mut registration = fluxgen(dir.path(), &[]);
        registration.env("COMPLETE", shell);
        let binary = insta_cmd::get_cargo_bin("fluxgen");
        let same = run(registration)
            .stdout
            .replace(binary.to_str().expect("a UTF-8 path"), "fluxgen");
        assert_eq!(same, out.stdout, "{shell}");
    }
}

// 3. Help and usage that tell the truth.

#[test]
fn a_missing_cluster_names_all_and_the_usage_does_not_contradict_itself() {
    let dir = workdir();
    snapshot!("emit-bare", fluxgen(dir.path(), &["emit"]));
    snapshot!("check-bare", fluxgen(dir.path(), &["check"]));
    snapshot!("validate-bare", fluxgen(dir.path(), &["validate"]));
    let out = run(fluxgen(dir.path(), &["emit", "--root", "x"]));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("<CLUSTER|--all>") && !out.stderr.contains("--all --root <DIR> [CLUSTER]"),
        "{}",
        out.stderr
    );
}

#[test]
fn config_options_are_refused_where_no_config_is_read() {
    let dir = workdir();
    snapshot!(
        "schema-with-config",
        fluxgen(dir.path(), &["schema", "-c", "missing.yaml"])
    );
    snapshot!(
        "config-before-init",
        fluxgen(dir.path(), &["-c", "missing.yaml", "init"])
    );
    for args in [
        &["--allow-out-of-order", "completions", "bash"][..],
        &["import", "--allow-out-of-order"],
    ] {
        let out = run(fluxgen(dir.path(), args));
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
    }
    assert!(fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");
    for command in ["init", "schema", "completions", "import"] {
        let help = run(fluxgen(dir.path(), &[command, "--help"])).stdout;
        assert!(
            !help.contains("--config") && !help.contains("--allow-out-of-order"),
            "{command}:\n{help}"
        );
    }
    for command in ["emit", "check", "validate", "explain", "plan", "doctor"] {
        let help = run(fluxgen(dir.path(), &[command, "--help"])).stdout;
        assert!(help.contains("--config"), "{command}:\n{help}");
    }
    // Before or after the command, the config is the same.
    let config = with_config(THREE_CLUSTERS);
    let before = run(fluxgen(config.path(), &["-c", "fluxgen.yaml", "emit", "edge"]));
    let after = run(fluxgen(config.path(), &["emit", "edge", "-c", "fluxgen.yaml"]));
    assert_eq!(before.code, Some(0), "{}", before.stderr);
    assert_eq!(before.stdout, after.stdout);
}

// 4. Quiet when all is well, explicit when something is skipped or inconsistent.

const BOOTSTRAP_INDEX: &str = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gotk-components.yaml
  - gotk-sync.yaml
";

#[test]
fn the_index_note_only_when_the_users_kustomization_lacks_the_lines() {
    let dir = with_config(THREE_CLUSTERS);
    let index = dir.path().join("kubernetes/edge/apps/flux-system/kustomization.yaml");
    write(&index, BOOTSTRAP_INDEX);
    snapshot!(
        "emit-stdout-index-lacks-lines",
        fluxgen(dir.path(), &["emit", "-c", "fluxgen.yaml", "edge"])
    );
    // A comment naming the line is not the line.
    write(
        &index,
        &format!("{BOOTSTRAP_INDEX}  - ./flux-operator/ks.yaml\n# - ./flux-instance/ks.yaml\n"),
    );
    let out = run(fluxgen(dir.path(), &["emit", "-c", "fluxgen.yaml", "edge"]));
    assert_eq!(
        out.stderr,
        "note: add `  - ./flux-instance/ks.yaml` to the resources of kubernetes/edge/apps/flux-system/kustomization.yaml\n"
    );
    write(
        &index,
        &format!("{BOOTSTRAP_INDEX}  - flux-operator/ks.yaml\n  - ./flux-instance/ks.yaml\n"),
    );
    snapshot!(
        "emit-stdout-index-complete",
        fluxgen(dir.path(), &["emit", "-c", "fluxgen.yaml", "edge"])
    );
}

#[test]
fn emit_all_lists_the_clusters_it_skipped() {
    let dir = with_config(THREE_CLUSTERS);
    snapshot!(
        "emit-all-skipped",
        fluxgen(dir.path(), &["emit", "-c", "fluxgen.yaml", "--all"])
    );
}

#[test]
fn writing_into_another_clusters_directory_is_warned() {
    let dir = with_config(THREE_CLUSTERS);
    snapshot!(
        "emit-output-other-cluster",
        fluxgen(
            dir.path(),
            &[
                "emit",
                "-c",
                "fluxgen.yaml",
                "storage",
                "-o",
                "kubernetes/edge/apps/flux-system"
            ]
        )
    );
    let own = run(fluxgen(
        dir.path(),
        &[
            "emit",
            "-c",
            "fluxgen.yaml",
            "storage",
            "-o",
            "./kubernetes/storage/apps/flux-system/",
        ],
    ));
    assert_eq!(own.code, Some(0));
    assert!(!own.stderr.contains("warning"), "{}", own.stderr);
}

// 5. Messages in the user's terms.

#[test]
fn explain_credits_the_key_the_user_wrote() {
    let dir = with_config(THREE_CLUSTERS);
    let out = run(fluxgen(
        dir.path(),
        &[
            "explain",
            "-c",
            "fluxgen.yaml",
            "edge",
            "--controller",
            "helm-controller",
        ],
    ));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("memoryLimit: 2Gi on "), "{}", out.stdout);
    assert!(!out.stdout.contains("resources: limits memory"), "{}", out.stdout);
}

#[test]
fn an_override_that_selects_nothing_is_placed_at_its_file_line_and_key() {
    let config = THREE_CLUSTERS.replace(
        "  tuning:\n",
        "  overrides:\n    - target: { kind: ConfigMap }\n      merge: { data: { a: b } }\n  tuning:\n",
    );
    let dir = with_config(&config);
    snapshot!(
        "override-selects-nothing",
        fluxgen(dir.path(), &["emit", "-c", "fluxgen.yaml", "edge"])
    );
    let own = with_config(&config.replace(
        "    phase: instance\n",
        "    phase: instance\n    overrides:\n      - target: { kind: Secret }\n        merge: { data: { a: b } }\n",
    ));
    let out = run(fluxgen(own.path(), &["emit", "-c", "fluxgen.yaml", "edge"]));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("fluxgen.yaml:14:9: clusters.edge.overrides[0] (Secret)"),
        "{}",
        out.stderr
    );
}

// 6. `fluxgen validate`.

#[test]
fn validate_checks_fluxgens_rules_and_exits_0_when_valid() {
    let dir = with_config(THREE_CLUSTERS);
    snapshot!(
        "validate-built-in",
        fluxgen(dir.path(), &["validate", "-c", "fluxgen.yaml", "--all"])
    );
}

/// The shared CRDs copied into `dir/crds`, so the snapshots show a relative path.
fn shared_crds(dir: &Path) -> Option<()> {
    let from = shared_dir().join("crds");
    if !from.is_dir() {
        eprintln!("skipped: no {} (set FLUXGEN_SHARED)", from.display());
        return None;
    }
    for entry in fs::read_dir(from).expect("read the CRDs") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            fs::create_dir_all(dir.join("crds")).unwrap();
            fs::copy(&path, dir.join("crds").join(path.file_name().unwrap())).unwrap();
        }
    }
    Some(())
}

#[test]
fn validate_with_crds_reports_the_object_the_field_and_the_rule() {
    let valid = with_config(THREE_CLUSTERS);
    if shared_crds(valid.path()).is_none() {
        return;
    }
    snapshot!(
        "validate-crds-valid",
        fluxgen(
            valid.path(),
            &["validate", "-c", "fluxgen.yaml", "edge", "--crds", "crds"]
        )
    );
    // An override the CRDs reject: a misspelt field, and an interval of the wrong type.
    let invalid = with_config(&THREE_CLUSTERS.replace(
        "  tuning:\n",
        "  overrides:\n    - target: { kind: HelmRelease }\n      merge: { spec: { intervall: 1h, timeout: 5 } }\n  tuning:\n",
    ));
    shared_crds(invalid.path());
    snapshot!(
        "validate-crds-invalid",
        fluxgen(
            invalid.path(),
            &["validate", "-c", "fluxgen.yaml", "--all", "--crds", "crds"]
        )
    );
    let missing = run(fluxgen(
        invalid.path(),
        &["validate", "-c", "fluxgen.yaml", "--all", "--crds", "nowhere"],
    ));
    assert_eq!(missing.code, Some(2), "{}", missing.stderr);
}

// The README's command table is `fluxgen --help`.

/// The options a help text lists: each long name with its short one.
fn help_options(help: &str) -> Vec<(Option<String>, String)> {
    help.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let (short, rest) = match line.strip_prefix('-').filter(|r| r.as_bytes().get(1) == Some(&b',')) {
                Some(rest) => (Some(format!("-{}", &rest[..1])), rest[2..].trim_start()),
                None => (None, line),
            };
            let long = rest.strip_prefix("--")?.split([' ', '=']).next()?;
            Some((short, format!("--{long}")))
        })
        .collect()
}

/// The long options named in a text.
fn long_options(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter_map(|word| word.strip_prefix("--"))
        .filter(|name| name.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .map(|name| format!("--{name}"))
        .collect()
}

#[test]
fn the_readme_command_table_matches_fluxgen_help() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).expect("read README.md");
    // Rows of the table whose first cell is a `fluxgen <command> ...` invocation.
    let mut rows: BTreeMap<String, String> = BTreeMap::new();
    for line in readme.lines() {
        let Some(first) = line.strip_prefix("| `fluxgen ") else {
            continue;
        };
        let cell = first.split(" | ").next().unwrap_or_default();
        let command = cell
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default();
        rows.entry(command.to_owned())
            .or_default()
            .push_str(&format!("{cell}\n"));
    }
    let dir = workdir();
    let help = run(fluxgen(dir.path(), &["--help"])).stdout;
    let commands: BTreeSet<String> = help
        .split("Commands:")
        .nth(1)
        .expect("a command list")
        .split("Options:")
        .next()
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert_eq!(
        rows.keys().cloned().collect::<BTreeSet<_>>(),
        commands,
        "the README's command table and `fluxgen --help` list different commands"
    );
    // Options every command has, described once under the table.
    let common: BTreeSet<String> = ["--help", "--color", "--config", "--allow-out-of-order"]
        .map(str::to_owned)
        .into();
    for (command, cells) in &rows {
        let help = run(fluxgen(dir.path(), &[command, "--help"])).stdout;
        let options = help_options(&help);
        for (short, long) in options.iter().filter(|(_, long)| !common.contains(long)) {
            let named = cells.contains(long.as_str())
                || short
                    .as_ref()
                    .is_some_and(|s| cells.split(['[', ' ', '`']).any(|word| word == s));
            assert!(
                named,
                "`fluxgen {command}` has {long} but the README's row does not name it"
            );
        }
        for long in long_options(cells) {
            assert!(
                options.iter().any(|(_, l)| *l == long),
                "the README's row of `fluxgen {command}` names {long}, which its --help does not list"
            );
        }
    }
}
