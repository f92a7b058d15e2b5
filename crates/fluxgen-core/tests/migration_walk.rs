//! The migration, walked as a user follows it: `fluxgen import` writes the config of a copy of
//! each GOTK-era repository; then, cluster by cluster in `rollout` order and phase by phase,
//! the test does exactly what the runbook of that phase says (`fluxgen emit`, the index lines,
//! the empty sync directory, and at cutover the moves, extractions, renames and deletions of
//! [`fluxgen_core::CutoverSteps`], which the runbook prints), and asks `doctor` each time. After
//! every step `doctor` reports no error, `plan` and `emit` accept the config, and at `complete`
//! nothing of the old install is left in the cluster.
//!
//! The repositories `flux bootstrap` installed (`../shared/refs-flux-bootstrap/`) walk the same
//! way, following the operator migration guide's runbook; there, in addition, the Kustomization
//! `flux-system` keeps its path, and the files it applies stay the same (but for the `ks.yaml`
//! lines of fluxgen's apps) until cutover, which takes away exactly the gotk files. A walk that
//! skips a cutover step, or that creates `<path>/kustomization.yaml` as the GOTK-era runbook's
//! sync directory, fails.

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use fluxgen_core::doctor::Code;
use fluxgen_core::{Config, Origin, Phase, Severity};

/// The config file's text with `cluster` at `phase` (import writes `  <cluster>:` then
/// `    phase: ...` under `clusters:`).
fn with_phase(text: &str, cluster: &str, phase: Phase) -> String {
    let mut out = String::new();
    let mut in_cluster = false;
    for line in text.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") {
            in_cluster = line.trim_end() == format!("  {cluster}:");
        }
        if in_cluster && line.starts_with("    phase: ") {
            out.push_str(&format!("    phase: {phase}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Adds `entries` to the `resources` of a user-owned kustomization.yaml that lacks them.
fn add_index_lines(file: &Path, entries: &[String]) {
    let Ok(text) = fs::read_to_string(file) else {
        return;
    };
    if fluxgen_core::emit::is_generated(&text) {
        return;
    }
    let lists = |entry: &str| {
        text.lines()
            .any(|l| l.trim().trim_start_matches('-').trim().trim_start_matches("./") == entry.trim_start_matches("./"))
    };
    let missing: Vec<&String> = entries.iter().filter(|e| !lists(e)).collect();
    if missing.is_empty() {
        return;
    }
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        if line.trim_end() == "resources:" {
            for entry in &missing {
                out.push_str(&format!("  - {entry}\n"));
            }
        }
    }
    fs::write(file, out).unwrap();
}

/// The YAML documents of a file, as text.
fn split_documents(text: &str) -> Vec<String> {
    let mut documents = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            documents.push(String::new());
        } else {
            let last = documents.last_mut().unwrap();
            last.push_str(line);
            last.push('\n');
        }
    }
    documents
        .into_iter()
        .filter(|d| d.lines().any(|l| l.starts_with("kind:")))
        .collect()
}

/// Whether a document is the object `kind`/`name` (as written at the top level).
fn is_object(document: &str, kind: &str, name: &str) -> bool {
    let value = support::document(document).unwrap_or_default();
    support::kind_and_name(&value) == (kind.to_owned(), name.to_owned())
}

/// Does what the cutover of the runbook says, with the files it names.
fn follow_cutover(root: &Path, steps: &fluxgen_core::runbook::CutoverSteps, sync_dir: &str) {
    let sync = root.join(sync_dir);
    fs::create_dir_all(&sync).unwrap();
    for path in &steps.moves {
        let name = Path::new(path).file_name().unwrap();
        fs::rename(root.join(path), sync.join(name)).unwrap();
    }
    for (name, file) in &steps.extracts {
        let text = fs::read_to_string(root.join(file)).unwrap();
        let document = split_documents(&text)
            .into_iter()
            .find(|d| is_object(d, "Kustomization", name))
            .unwrap_or_else(|| panic!("{file} defines no Kustomization `{name}`"));
        fs::write(sync.join(format!("{name}.yaml")), format!("---\n{document}")).unwrap();
    }
    for (kind, name, file) in &steps.removes {
        let text = fs::read_to_string(root.join(file)).unwrap();
        let kept: Vec<String> = split_documents(&text)
            .into_iter()
            .filter(|d| !is_object(d, kind, name))
            .collect();
        fs::write(
            root.join(file),
            kept.iter().map(|d| format!("---\n{d}")).collect::<String>(),
        )
        .unwrap();
    }
    for (file, old, new) in &steps.renames {
        let text = fs::read_to_string(root.join(file)).unwrap();
        let renamed = text.replace(&format!("name: {old}\n"), &format!("name: {new}\n"));
        fs::write(root.join(file), renamed).unwrap();
    }
    for (file, entry) in &steps.unlists {
        let text = fs::read_to_string(root.join(file)).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| l.trim().strip_prefix("- ").map(str::trim) != Some(entry.as_str()))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(kept, text, "{file} does not list `{entry}`");
        fs::write(root.join(file), kept).unwrap();
    }
    for path in &steps.deletes {
        let path = root.join(path);
        if path.is_dir() {
            fs::remove_dir_all(&path).unwrap();
        } else if path.exists() {
            fs::remove_file(&path).unwrap();
        }
    }
    if !steps.sync_resources.is_empty() {
        let resources: String = steps.sync_resources.iter().map(|r| format!("  - {r}\n")).collect();
        fs::write(
            sync.join("kustomization.yaml"),
            format!("---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{resources}"),
        )
        .unwrap();
    }
}

/// Everything doctor says at error level, and a Kustomization left unapplied, one line each.
fn errors(root: &Path, config: &Config) -> Vec<String> {
    let report = fluxgen_core::doctor(root, Some(config)).unwrap();
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error || f.code == Code::Unapplied)
        .map(|f| format!("{} {}:{:?} {}", f.code, f.file, f.line, f.what))
        .collect()
}

/// A way to walk wrong, to show that the walk notices.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mistake {
    /// Do exactly what the runbook says.
    None,
    /// Leave out the cutover's first deletion.
    SkipCutoverStep,
    /// Leave out the cutover's first removal of a `resources` entry.
    SkipUnlist,
    /// At `instance`, create `<sync path>/kustomization.yaml` with `resources: []`, as the
    /// GOTK-era runbook does for its dedicated sync directory.
    CreateSyncKustomization,
}

/// What the Kustomization `flux-system` of a `flux bootstrap` cluster applies: the path its
/// definition in `gotk_sync` names while it is there, and the files of `path` (its kustomize
/// build).
fn applied(root: &Path, path: &str, gotk: &[String]) -> (Option<String>, BTreeSet<String>) {
    let repository = fluxgen_core::scan(root).unwrap();
    let own = repository
        .kustomizations
        .iter()
        .find(|k| k.name == "flux-system" && gotk.contains(&k.at.file))
        .and_then(|k| k.repo_path());
    (own, repository.applied_files(path).into_iter().collect())
}

/// Walks one repository through every phase of every cluster import puts at `prepare`; the
/// clusters walked, and what went wrong. A repository import refuses (a template repository)
/// walks nothing.
fn walk(source: &Path) -> (Vec<String>, Vec<String>) {
    walk_with(source, Mistake::None)
}

/// [`walk`], making `mistake` on the way.
fn walk_with(source: &Path, mistake: Mistake) -> (Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    support::trees::copy(source, &root);
    let _ = fs::remove_file(root.join("fluxgen.yaml"));
    let repository = fluxgen_core::scan(&root).unwrap();
    // A template repository (placeholder gotk files) states no URL: its user gives the one the
    // clusters sync from, as the import report asks (the stand-in is refused from `instance`).
    let options = fluxgen_core::ImportOptions {
        repository_url: Some("ssh://git@github.com/example/fleet".to_owned()),
        ..fluxgen_core::ImportOptions::default()
    };
    let Ok(imported) = fluxgen_core::import(&repository, &options) else {
        return (Vec::new(), Vec::new());
    };
    let config_file = root.join("fluxgen.yaml");
    let mut text = imported.text.clone();
    let load = |text: &str| Config::from_yaml(text, Origin::File(config_file.clone())).unwrap();
    let config = load(&text);
    let mut walked = Vec::new();
    let mut failures = Vec::new();
    // What the repository holds before anything is done (a migrated repository may already be
    // wrong; `doctor_refs` judges that): no step may add to it, and a repository still on its
    // bootstrap install must start clean.
    fs::write(&config_file, &text).unwrap();
    let before = errors(&root, &config);
    let walking = config.clusters.values().any(|c| c.phase == Phase::Prepare);
    if walking {
        for error in &before {
            failures.push(format!("{}: after import: {error}", source.display()));
        }
    }
    let check = |text: &str, step: &str, failures: &mut Vec<String>| {
        fs::write(&config_file, text).unwrap();
        let config = load(text);
        for error in errors(&root, &config).into_iter().filter(|e| !before.contains(e)) {
            failures.push(format!("{}: after {step}: {error}", source.display()));
        }
    };
    for cluster in config.rollout.clone() {
        if config.clusters[&cluster].phase != Phase::Prepare {
            continue;
        }
        walked.push(cluster.clone());
        // A `flux bootstrap` cluster: what `flux-system` applies before anything is done.
        let start = fluxgen_core::runbook_findings(&config, &cluster, &root).unwrap();
        let bootstrap = start.flux_bootstrap.clone().map(|b| {
            let (own, files) = applied(&root, &b.path, &start.gotk_files);
            assert_eq!(
                own.as_deref(),
                Some(b.path.as_str()),
                "{}: `flux-system` path",
                source.display()
            );
            (b.path, files, start.gotk_files.clone())
        });
        let mut emitted: BTreeSet<String> = BTreeSet::new();
        for phase in [Phase::Operator, Phase::Instance, Phase::Cutover, Phase::Complete] {
            text = with_phase(&text, &cluster, phase);
            let config = load(&text);
            let step = format!("`{cluster}` at `{phase}`");
            // The runbook of the phase renders (no refusal), and says what to do.
            fluxgen_core::runbook(&config, &cluster, &root).unwrap_or_else(|e| panic!("{step}: {e}"));
            let findings = fluxgen_core::runbook_findings(&config, &cluster, &root).unwrap();
            let settings = &config.clusters[&cluster].settings;
            if phase == Phase::Cutover {
                let mut steps = findings.cutover.clone();
                if mistake == Mistake::SkipCutoverStep && !steps.deletes.is_empty() {
                    steps.deletes.remove(0);
                }
                if mistake == Mistake::SkipUnlist && !steps.unlists.is_empty() {
                    steps.unlists.remove(0);
                }
                follow_cutover(&root, &steps, &settings.instance.sync.path);
            }
            // `fluxgen emit <cluster> -o <path>` and the index lines.
            let tree = fluxgen_core::plan(&config, &cluster).unwrap();
            let out = root.join(&tree.root);
            fluxgen_core::write(&[(out.clone(), tree.clone())]).unwrap_or_else(|e| panic!("{step}: emit: {e}"));
            add_index_lines(&out.join("kustomization.yaml"), &tree.index.entries);
            emitted.extend(tree.files.keys().map(|p| format!("{}/{p}", tree.root)));
            let sync_kustomization = phase == Phase::Instance
                && (mistake == Mistake::CreateSyncKustomization
                    || (!findings.adopts_root && findings.flux_bootstrap.is_none()));
            if sync_kustomization {
                let sync = root.join(&settings.instance.sync.path);
                if !sync.join("kustomization.yaml").exists() {
                    fs::create_dir_all(&sync).unwrap();
                    fs::write(
                        sync.join("kustomization.yaml"),
                        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
                    )
                    .unwrap();
                }
            }
            fluxgen_core::scan::check_sync(&config, std::slice::from_ref(&cluster), &root)
                .unwrap_or_else(|e| panic!("{step}: {e}"));
            check(&text, &step, &mut failures);
            // `flux-system` keeps its path and what it applies, but for fluxgen's files, until
            // the cutover takes away exactly the gotk files.
            if let Some((path, before, gotk)) = &bootstrap {
                let (own, after) = applied(&root, path, gotk);
                if own.as_ref().is_some_and(|own| own != path) {
                    failures.push(format!(
                        "{}: after {step}: `flux-system` applies {own:?}, not `{path}`",
                        source.display()
                    ));
                }
                let lost: BTreeSet<&String> = before.difference(&after).collect();
                let gained: Vec<&String> = after.difference(before).filter(|f| !emitted.contains(*f)).collect();
                let expected: BTreeSet<&String> = if phase >= Phase::Cutover {
                    gotk.iter().collect()
                } else {
                    BTreeSet::new()
                };
                if lost != expected || !gained.is_empty() {
                    failures.push(format!(
                        "{}: after {step}: `flux-system` lost {lost:?} (expected {expected:?}) and gained {gained:?}",
                        source.display()
                    ));
                }
            }
        }
        // Nothing of the old install is left in the cluster.
        let config = load(&text);
        let report = fluxgen_core::doctor(&root, Some(&config)).unwrap();
        let summary = report
            .clusters
            .iter()
            .find(|c| c.name.as_deref() == Some(cluster.as_str()))
            .unwrap();
        assert_eq!(summary.phase, Some(Phase::Complete));
        let findings = fluxgen_core::runbook_findings(&config, &cluster, &root).unwrap();
        for file in &findings.gotk_files {
            failures.push(format!(
                "{}: `{cluster}` at `complete` still has `{file}`",
                source.display()
            ));
        }
        let left = [
            &findings.bootstrap_file,
            &findings.flux_kustomization_file,
            &findings.existing_root,
        ];
        for left in left.into_iter().flatten() {
            failures.push(format!(
                "{}: `{cluster}` at `complete` still has `{left}`",
                source.display()
            ));
        }
    }
    (walked, failures)
}

fn refs(name: &str) -> PathBuf {
    support::shared_dir().join("refs").join(name)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos").join(name)
}

#[test]
fn every_reference_repository_walks_through_the_phases_without_an_error() {
    let mut failures = Vec::new();
    let mut walked = Vec::new();
    let mut names: Vec<String> = fs::read_dir(support::shared_dir().join("refs"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        let (clusters, found) = walk(&refs(name));
        failures.extend(found);
        walked.extend(clusters.into_iter().map(|c| format!("{name}/{c}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The GOTK-era ones, every cluster still on the bootstrap install (the migrated ones and the
    // template repositories have nothing to walk).
    for expected in [
        "haraldkoch__kochhaus-home@9b46c64/network",
        "haraldkoch__kochhaus-home@ca268bc/main",
        "onedr0p__home-ops@aadf263/main",
        "onedr0p__home-ops@aadf263/storage",
        "szinn__k8s-homelab@f8b22a4/main",
        "szinn__k8s-homelab@f8b22a4/staging",
    ] {
        assert!(
            walked.contains(&expected.to_owned()),
            "{expected} was not walked: {walked:?}"
        );
    }
}

#[test]
fn every_layout_of_the_fixture_repositories_walks_through_the_phases_without_an_error() {
    let mut failures = Vec::new();
    let mut walked = 0;
    for name in [
        "haynes-ops",
        "flux-dir-root",
        "root-bootstrap",
        "root-named-flux-system",
        "single-cluster",
        "shared-dirs",
        "half-migrated",
    ] {
        let (clusters, found) = walk(&fixture(name));
        assert!(!clusters.is_empty(), "{name}: no cluster to walk");
        walked += clusters.len();
        failures.extend(found);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(walked >= 9, "{walked} clusters walked");
}

/// The `flux bootstrap` repositories of `../shared/refs-flux-bootstrap/`.
fn bootstrap_refs() -> Vec<(String, PathBuf)> {
    let dir = support::shared_dir().join("refs-flux-bootstrap");
    let mut names: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    names.sort();
    names
}

#[test]
fn every_flux_bootstrap_repository_walks_through_the_operator_guide_without_an_error() {
    let mut failures = Vec::new();
    let mut walked = Vec::new();
    for (name, path) in bootstrap_refs() {
        let (clusters, found) = walk(&path);
        failures.extend(found);
        walked.extend(clusters.into_iter().map(|c| format!("{name}/{c}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every cluster still on `flux bootstrap` (d1-fleet@4354616 is already migrated).
    for expected in [
        "controlplaneio-fluxcd__d1-fleet@e101c93/staging",
        "controlplaneio-fluxcd__d1-fleet@e101c93/prod-eu",
        "controlplaneio-fluxcd__d1-fleet@e101c93/prod-us",
        "fluxcd__flux2-kustomize-helm-example@4f1a5b1/staging",
        "fluxcd__flux2-kustomize-helm-example@4f1a5b1/production",
        "fluxcd__flux2-multi-tenancy@192da05/staging",
        "fluxcd__flux2-multi-tenancy@192da05/production",
    ] {
        assert!(
            walked.contains(&expected.to_owned()),
            "{expected} was not walked: {walked:?}"
        );
    }
}

#[test]
fn a_walk_that_skips_a_cutover_step_or_adds_a_sync_kustomization_fails() {
    let d1 = support::shared_dir().join("refs-flux-bootstrap/controlplaneio-fluxcd__d1-fleet@e101c93");
    let at_cutover = |failures: &[String], what: &str| {
        failures
            .iter()
            .any(|f| f.contains("`staging` at `cutover`") && f.contains(what))
    };
    // `gotk-components.yaml` left behind: doctor's error.
    let (walked, skipped) = walk_with(&d1, Mistake::SkipCutoverStep);
    assert_eq!(walked.len(), 3, "{walked:?}");
    assert!(at_cutover(&skipped, "bootstrap-cleanup"), "{skipped:#?}");
    // `gotk-components.yaml` deleted but still listed: kustomize cannot build `flux-system`.
    let (_, listed) = walk_with(&d1, Mistake::SkipUnlist);
    assert!(at_cutover(&listed, "still lists `gotk-components.yaml`"), "{listed:#?}");
    // A `<path>/kustomization.yaml` with `resources: []`: `flux-system` would prune the cluster.
    let (_, created) = walk_with(&d1, Mistake::CreateSyncKustomization);
    assert!(
        created
            .iter()
            .any(|f| f.contains("`staging` at `instance`") && f.contains("`flux-system` lost")),
        "{created:#?}"
    );
}
