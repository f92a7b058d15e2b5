//! `fluxgen doctor` on real repositories and on one fixture pair per finding.
//!
//! - Every repository of `$FLUXGEN_SHARED/refs/` has an entry in [`expectations`] (a new
//!   reference fails until it gets one): the findings an expert gives it, as `(severity, code,
//!   file)` with the reason, and nothing else. The reference copies hold only part of each
//!   repository (mostly `flux-system`), so paths that point outside the copy are reported as
//!   missing: that is what the copy holds, and the reasons say so.
//! - `tests/doctor/<code>/triggers*/` must produce a finding of `<code>`, and
//!   `tests/doctor/<code>/clean*/` no finding at all; every code has both.
//! - The done-when cases name both files at error level.
//! - No output (text, JSON, Markdown, the Mermaid graph) holds a value of a SOPS-encrypted file.
//! - Snapshots of the text and Markdown reports of three repositories.

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use fluxgen_core::doctor::{Code, Report};
use fluxgen_core::{Config, Origin, Severity};
use serde_json::Value;

fn refs() -> PathBuf {
    support::shared_dir().join("refs")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/doctor")
}

/// Runs doctor on a directory, with its `fluxgen.yaml` when it has one.
fn run(dir: &Path) -> Report {
    let config_file = dir.join("fluxgen.yaml");
    let config = config_file.is_file().then(|| {
        let text = fs::read_to_string(&config_file).unwrap();
        Config::from_yaml(&text, Origin::File(config_file.clone()))
            .unwrap_or_else(|e| panic!("{}: {e}", config_file.display()))
    });
    fluxgen_core::doctor(dir, config.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// The sub-directories of a directory, sorted.
fn dirs(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    found.sort();
    found
}

/// An expected finding: severity, code, file, and why an expert gives it.
struct Expected {
    severity: &'static str,
    code: &'static str,
    file: String,
    #[allow(dead_code)]
    reason: &'static str,
}

fn e(severity: &'static str, code: &'static str, file: impl Into<String>, reason: &'static str) -> Expected {
    assert!(!reason.is_empty());
    Expected {
        severity,
        code,
        file: file.into(),
        reason,
    }
}

/// What an expert finds in each reference repository.
fn expectations(name: &str) -> Option<Vec<Expected>> {
    const ESO: &str = "external-secrets-baseline";
    const MISSING: &str = "missing-path";
    Some(match name {
        "bjw-s-labs__home-ops" => vec![
            e(
                "warning",
                ESO,
                "kubernetes/apps/flux-system/flux-instance/app/github/webhooks/externalsecret.yaml",
                "the Receiver's token comes from ClusterSecretStore onepassword-connect and nothing in the copy installs External Secrets",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/apps/flux-system/kustomization.yaml",
                "components/flux-alerts is listed but not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/apps/flux-system/kustomization.yaml",
                "components/namespace is listed but not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/apps/flux-system/kustomization.yaml",
                "konflate/ks.yaml is listed but not in the copy",
            ),
        ],
        "haraldkoch__kochhaus-home" => {
            let mut all = Vec::new();
            for cluster in ["main", "network", "registry"] {
                all.extend([
                    e("warning", "instance-prune", format!("kubernetes/{cluster}/apps/flux-system/flux-instance/app/helmrelease.yaml"),
                      "flux-instance (prune: true) applies the flux-instance HelmRelease, which has no prune: disabled: losing it uninstalls Flux"),
                    e("warning", ESO, format!("kubernetes/{cluster}/apps/flux-system/flux-instance/app/externalsecret.yaml"),
                      "the webhook token comes from ClusterSecretStore onepassword; External Secrets is not in the copy"),
                    e("warning", MISSING, format!("kubernetes/{cluster}/apps/flux-system/kustomization.yaml"),
                      "components/common is listed but not in the copy"),
                    e("warning", MISSING, format!("kubernetes/{cluster}/apps/flux-system/kustomization.yaml"),
                      "konflate.yaml is listed but not in the copy"),
                ]);
            }
            all
        }
        "haraldkoch__kochhaus-home@9b46c64" => vec![
            e(
                "warning",
                ESO,
                "kubernetes/main/apps/flux-system/flux-operator/instance/github/webhooks/externalsecret.yaml",
                "main's webhook token comes from ClusterSecretStore onepassword-connect; External Secrets is not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/main/apps/flux-system/kustomization.yaml",
                "namespace.yaml is listed but not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/main/apps/flux-system/kustomization.yaml",
                "components/alerts is listed but not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/main/flux/cluster/ks.yaml",
                "cluster-meta applies flux/meta, which is not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/network/flux/apps.yaml",
                "network's cluster-apps applies kubernetes/network/apps, which is not in the copy",
            ),
            e(
                "info",
                "crd-managers",
                "kubernetes/network/flux/config/flux.yaml",
                "network (still GOTK, phase prepare) installs the CRDs twice: the bootstrap install and the flux Kustomization; to plan for cutover",
            ),
            // No root-names for network: main already syncs as `home-kubernetes`, the name its
            // references use, so following main changes nothing.
        ],
        "haraldkoch__kochhaus-home@ca268bc" => vec![
            e(
                "warning",
                ESO,
                "kubernetes/main/apps/flux-system/addons/app/webhooks/github/externalsecret.yaml",
                "External Secrets is there (flux-addons depends on external-secrets-stores) but the ClusterSecretStore is not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/main/apps/flux-system/kustomization.yaml",
                "components/alerts is listed but not in the copy",
            ),
            e(
                "info",
                "crd-managers",
                "kubernetes/main/flux/config/flux.yaml",
                "GOTK at prepare: the bootstrap install and the flux Kustomization both install the CRDs (prune already false: the pre-migration step)",
            ),
            e(
                "info",
                "root-names",
                "kubernetes/main/apps/flux-system/addons/app/webhooks/github/receiver.yaml",
                "the Receiver names the root Kustomization `cluster`, which goes at cutover",
            ),
            e(
                "info",
                "root-names",
                "kubernetes/main/flux/config/cluster.yaml",
                "three references use GitRepository home-kubernetes; a FluxInstance syncs as flux-system unless sync.name keeps it",
            ),
        ],
        "joryirving__home-ops" => {
            let mut all = Vec::new();
            for (cluster, missing) in [("main", 4), ("test", 4), ("utility", 5)] {
                all.extend([
                    e("error", "sync-path-overlap", format!("kubernetes/clusters/{cluster}/flux-instance/helmrelease.yaml"),
                      "the sync path kubernetes/clusters/<c> has no kustomization.yaml, so Flux's generator builds flux-instance/ too: two owners with the flux-instance Kustomization"),
                    e("warning", "instance-prune", format!("kubernetes/clusters/{cluster}/flux-instance/helmrelease.yaml"),
                      "both owners prune and the HelmRelease has no prune: disabled"),
                ]);
                for _ in 0..missing {
                    all.push(e(
                        "warning",
                        MISSING,
                        format!("kubernetes/apps/{cluster}/flux-system/kustomization.yaml"),
                        "components/namespace and app ks files listed but not in the copy",
                    ));
                }
            }
            all
        }
        "joryirving__home-ops@2420748" => {
            let mut all = vec![e(
                "warning",
                ESO,
                "kubernetes/main/apps/flux-system/flux-operator/instance/github/webhooks/externalsecret.yaml",
                "main's webhook token comes from ClusterSecretStore onepassword-connect; External Secrets is not in the copy",
            )];
            for (cluster, listed) in [("main", 3), ("utility", 4)] {
                for _ in 0..listed {
                    all.push(e(
                        "warning",
                        MISSING,
                        format!("kubernetes/{cluster}/apps/flux-system/kustomization.yaml"),
                        "shared/templates/alerts and app ks files listed but not in the copy",
                    ));
                }
                for _ in 0..2 {
                    all.push(e(
                        "warning",
                        MISSING,
                        format!("kubernetes/{cluster}/flux/config/cluster.yaml"),
                        "cluster-shared and cluster-repos apply kubernetes/shared and flux/repos, not in the copy",
                    ));
                }
            }
            all
        }
        "onedr0p__cluster-template" | "onedr0p__cluster-template@27cb263" | "onedr0p__cluster-template@5612222" => {
            let first = match name {
                "onedr0p__cluster-template" => "template/config/.sops.yaml.j2",
                "onedr0p__cluster-template@27cb263" => {
                    "templates/config/kubernetes/apps/flux-system/flux-instance/app/helm/kustomizeconfig.yaml.j2"
                }
                _ => "templates/config/kubernetes/apps/flux-system/kustomization.yaml.j2",
            };
            vec![e(
                "info",
                "templates-skipped",
                first,
                "a makejinja template repository: nothing to judge until it is rendered",
            )]
        }
        "onedr0p__home-ops" => vec![
            e(
                "warning",
                "instance-prune",
                "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml",
                "flux-instance prunes and its HelmRelease has no prune: disabled",
            ),
            e(
                "warning",
                ESO,
                "kubernetes/apps/flux-system/flux-instance/app/externalsecret.yaml",
                "the webhook token comes from ClusterSecretStore onepassword-connect; External Secrets is not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/apps/flux-system/kustomization.yaml",
                "components/alerts is listed but not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/apps/flux-system/kustomization.yaml",
                "konflate/ks.yaml is listed but not in the copy",
            ),
        ],
        "onedr0p__home-ops@0280fbf" => vec![
            e(
                "warning",
                ESO,
                "kubernetes/main/apps/flux-system/flux-operator/instance/github/webhooks/externalsecret.yaml",
                "the webhook token comes from ClusterSecretStore onepassword-connect; External Secrets is not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/main/flux/config/cluster.yaml",
                "cluster-shared applies kubernetes/shared, which is not in the copy",
            ),
        ],
        "onedr0p__home-ops@13ce7dc" => vec![
            e(
                "warning",
                "instance-prune",
                "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml",
                "flux-instance prunes and its HelmRelease has no prune: disabled",
            ),
            e(
                "warning",
                ESO,
                "kubernetes/apps/flux-system/flux-instance/app/externalsecret.yaml",
                "the webhook token comes from ClusterSecretStore onepassword; External Secrets is not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/apps/flux-system/kustomization.yaml",
                "components/common is listed but not in the copy",
            ),
        ],
        "onedr0p__home-ops@aadf263" => vec![
            e(
                "warning",
                ESO,
                "kubernetes/main/apps/flux-system/addons/app/webhooks/github/externalsecret.yaml",
                "External Secrets is there (flux-addons depends on external-secrets-stores) but the ClusterSecretStore is not in the copy",
            ),
            e(
                "info",
                "crd-managers",
                "kubernetes/main/flux/config/flux.yaml",
                "GOTK at prepare: bootstrap install and the flux Kustomization (prune: true) both install the CRDs",
            ),
            e(
                "info",
                "root-names",
                "kubernetes/main/apps/flux-system/addons/app/webhooks/github/receiver.yaml",
                "the Receiver names the root Kustomization `cluster`, retired at cutover",
            ),
            e(
                "info",
                "root-names",
                "kubernetes/main/flux/config/cluster.yaml",
                "GitRepository home-kubernetes is referenced three times (besides `cluster` itself); decide sync.name before the FluxInstance exists",
            ),
            e(
                "info",
                "crd-managers",
                "kubernetes/storage/flux/config/flux.yaml",
                "storage: same two CRD managers",
            ),
            e(
                "info",
                "root-names",
                "kubernetes/storage/flux/config/cluster.yaml",
                "storage: home-kubernetes referenced by cluster-apps",
            ),
        ],
        "szinn__k8s-homelab" => vec![
            e(
                "warning",
                ESO,
                "kubernetes/main/apps/flux-system/flux-config/github/webhooks/secrets.yaml",
                "External Secrets is there (a Kustomization depends on it) but the ClusterSecretStore is not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/main/apps/flux-system/kustomization.yaml",
                "konflate/install.yaml is listed but not in the copy",
            ),
            e(
                "warning",
                MISSING,
                "kubernetes/main/apps/flux-system/kustomization.yaml",
                "components/alerts is listed but not in the copy",
            ),
        ],
        "szinn__k8s-homelab@f8b22a4" => {
            let mut all = vec![
                e(
                    "warning",
                    MISSING,
                    "kubernetes/main/apps/flux-system/kustomization.yaml",
                    "add-ons/install.yaml is listed but not in the copy",
                ),
                e(
                    "warning",
                    MISSING,
                    "kubernetes/staging/cluster/apps.yaml",
                    "staging's cluster-apps applies kubernetes/staging/apps, not in the copy",
                ),
            ];
            for cluster in ["main", "staging"] {
                all.extend([
                    e("warning", MISSING, format!("kubernetes/{cluster}/cluster/config/cluster.yaml"),
                      "cluster-repositories applies kubernetes/repositories, not in the copy"),
                    e("warning", MISSING, format!("kubernetes/{cluster}/cluster/vars/kustomization.yaml"),
                      "cluster-secrets.sops.yaml is listed but not in the copy"),
                    e("info", "crd-managers", format!("kubernetes/{cluster}/cluster/config/flux.yaml"),
                      "GOTK at prepare: bootstrap install and the flux Kustomization (prune: true) both install the CRDs"),
                    e("info", "root-names", format!("kubernetes/{cluster}/cluster/config/cluster.yaml"),
                      "GitRepository homelab-kubernetes is referenced; a FluxInstance syncs as flux-system unless sync.name keeps it"),
                ]);
            }
            all
        }
        _ => return None,
    })
}

fn triple(severity: Severity, code: Code, file: &str) -> (String, String, String) {
    (severity.to_string(), code.to_string(), file.to_owned())
}

#[test]
fn every_reference_repository_gets_the_findings_an_expert_gives_it() {
    let mut checked = 0;
    for dir in dirs(&refs()) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected = expectations(&name)
            .unwrap_or_else(|| panic!("{name}: a new reference repository needs its expected findings in this test"));
        let report = run(&dir);
        let mut actual: Vec<_> = report
            .findings
            .iter()
            .map(|f| triple(f.severity, f.code, &f.file))
            .collect();
        let mut wanted: Vec<_> = expected
            .iter()
            .map(|x| (x.severity.to_owned(), x.code.to_owned(), x.file.clone()))
            .collect();
        actual.sort();
        wanted.sort();
        assert_eq!(
            actual,
            wanted,
            "{name}: the findings differ from what an expert gives it\n{}",
            report.to_text(false)
        );
        checked += 1;
    }
    assert!(
        checked >= 15,
        "only {checked} reference repositories under {}",
        refs().display()
    );
}

#[test]
fn the_reference_repositories_get_their_phases() {
    let phases = |name: &str| -> Vec<(Option<String>, Option<String>)> {
        run(&refs().join(name))
            .clusters
            .iter()
            .map(|c| (c.name.clone(), c.phase.map(|p| p.to_string())))
            .collect()
    };
    let s = |v: &str| Some(v.to_owned());
    // GOTK: a bootstrap install and no FluxInstance.
    assert_eq!(
        phases("onedr0p__home-ops@aadf263"),
        [(s("main"), s("prepare")), (s("storage"), s("prepare"))]
    );
    // Half migrated: main has its FluxInstance, network is still GOTK.
    assert_eq!(
        phases("haraldkoch__kochhaus-home@9b46c64"),
        [(s("main"), s("complete")), (s("network"), s("prepare"))]
    );
    // Three clusters under kubernetes/clusters/<c> and kubernetes/apps/<c>.
    assert_eq!(
        phases("joryirving__home-ops"),
        [
            (s("main"), s("complete")),
            (s("test"), s("complete")),
            (s("utility"), s("complete"))
        ]
    );
    // A single-cluster layout, and a template repository: named `main`, as import names it.
    assert_eq!(phases("onedr0p__home-ops"), [(s("main"), s("complete"))]);
    assert_eq!(phases("onedr0p__cluster-template"), [(s("main"), None)]);
}

#[test]
fn every_fixture_triggers_its_finding_or_stays_clean() {
    let mut covered = BTreeSet::new();
    for code_dir in dirs(&fixtures()) {
        let code = code_dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            Code::ALL.iter().any(|c| c.as_str() == code),
            "{}: not a finding code",
            code_dir.display()
        );
        for variant in dirs(&code_dir) {
            let name = variant.file_name().unwrap().to_string_lossy().into_owned();
            let report = run(&variant);
            let label = format!("{code}/{name}");
            if name.starts_with("triggers") {
                assert!(
                    report.findings.iter().any(|f| f.code.as_str() == code),
                    "{label}: no `{code}` finding\n{}",
                    report.to_text(false)
                );
                covered.insert((code.clone(), "triggers"));
            } else if name.starts_with("clean") {
                assert!(
                    report.findings.is_empty(),
                    "{label}: must stay clean\n{}",
                    report.to_text(false)
                );
                covered.insert((code.clone(), "clean"));
            } else {
                panic!("{label}: a fixture is `triggers*` or `clean*`");
            }
            // Every location points at a file of the fixture, and lines exist.
            for finding in &report.findings {
                check_location(&variant, &finding.file, finding.line, &label);
                for related in &finding.related {
                    check_location(&variant, &related.file, related.line, &label);
                }
            }
        }
    }
    for code in Code::ALL {
        for kind in ["triggers", "clean"] {
            assert!(
                covered.contains(&(code.as_str().to_owned(), kind)),
                "no tests/doctor/{code}/{kind} fixture"
            );
        }
    }
}

fn check_location(root: &Path, file: &str, line: Option<u32>, label: &str) {
    let path = root.join(file);
    if path.is_symlink() && !path.exists() {
        return;
    }
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{label}: {file}: {e}"));
    if let Some(line) = line {
        assert!(
            line >= 1 && line as usize <= text.lines().count(),
            "{label}: {file}:{line} is past the end"
        );
    }
}

#[test]
fn a_sync_path_overlapping_the_cluster_kustomization_is_an_error_naming_both_files() {
    let report = run(&fixtures().join("sync-path-overlap/triggers"));
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == Code::SyncPathOverlap && f.severity == Severity::Error && f.what.contains("`cluster`"))
        .unwrap_or_else(|| panic!("no error\n{}", report.to_text(false)));
    assert_eq!(
        finding.file,
        "kubernetes/edge/apps/flux-system/flux-instance/app/helmrelease.yaml"
    );
    assert!(
        finding
            .related
            .iter()
            .any(|r| r.file == "kubernetes/edge/flux/config/cluster.yaml"),
        "{finding:?}"
    );
    let text = report.to_text(false);
    assert!(text.contains("flux-instance/app/helmrelease.yaml") && text.contains("flux/config/cluster.yaml"));
    assert!(report.has_errors());
}

#[test]
fn a_bootstrap_install_at_cutover_is_an_error_naming_both_files() {
    let report = run(&fixtures().join("double-managed-controllers/triggers"));
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == Code::DoubleManagedControllers && f.severity == Severity::Error)
        .unwrap_or_else(|| panic!("no error\n{}", report.to_text(false)));
    assert_eq!(finding.file, "kubernetes/edge/bootstrap/flux/kustomization.yaml");
    let related: Vec<&str> = finding.related.iter().map(|r| r.file.as_str()).collect();
    assert!(
        related.contains(&"kubernetes/edge/apps/flux-system/flux-instance/app/helmrelease.yaml"),
        "{related:?}"
    );
    assert!(related.contains(&"fluxgen.yaml"), "{related:?}");
    // The same repository one phase earlier: a warning, not an error.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("double-managed-controllers/triggers"), dir.path());
    let config = dir.path().join("fluxgen.yaml");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace("phase: cutover", "phase: instance");
    fs::write(&config, text).unwrap();
    let report = run(dir.path());
    assert!(!report.has_errors(), "{}", report.to_text(false));
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == Code::DoubleManagedControllers && f.severity == Severity::Warning)
    );
}

/// The same GOTK repository judged without fluxgen.yaml: a FluxInstance next to the bootstrap
/// install is inferred `instance`, two managers.
#[test]
fn without_fluxgen_yaml_two_managers_are_inferred_as_instance() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("double-managed-controllers/triggers"), dir.path());
    fs::remove_file(dir.path().join("fluxgen.yaml")).unwrap();
    let report = fluxgen_core::doctor(dir.path(), None).unwrap();
    assert_eq!(report.clusters[0].phase, Some(fluxgen_core::Phase::Instance));
    assert!(report.clusters[0].phase_reason.contains("two managers"));
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == Code::DoubleManagedControllers && f.severity == Severity::Warning)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every string value of a SOPS-encrypted file that SOPS protects or adds: `data` and
/// `stringData` values and everything under `sops:` (recipients, encrypted keys, MAC, dates).
fn sops_values(file: &Path) -> Vec<String> {
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => {
                out.push(s.clone());
                // ENC[AES256_GCM,data:...,iv:...,tag:...]: each part on its own too.
                if let Some(inner) = s.strip_prefix("ENC[").and_then(|s| s.strip_suffix(']')) {
                    out.extend(
                        inner
                            .split(',')
                            .filter_map(|p| p.split_once(':'))
                            .map(|(_, v)| v.to_owned()),
                    );
                }
                out.extend(s.lines().map(str::to_owned));
            }
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let text = fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    for document in support::documents(&text).unwrap_or_default() {
        for key in ["data", "stringData", "sops"] {
            if let Some(value) = document.get(key) {
                strings(value, &mut out);
            }
        }
    }
    // Short values (`str`, a version) could appear anywhere by chance; every secret is longer.
    out.retain(|v| v.trim().len() >= 8 && !v.starts_with("-----"));
    out.sort();
    out.dedup();
    out
}

fn sops_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(".sops.yaml") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn no_output_holds_a_value_of_a_sops_encrypted_file() {
    let mut roots = dirs(&refs());
    for code in dirs(&fixtures()) {
        roots.extend(dirs(&code));
    }
    let mut checked_values = 0;
    for root in roots {
        let files = sops_files(&root);
        if files.is_empty() {
            continue;
        }
        let values: Vec<String> = files.iter().flat_map(|f| sops_values(f)).collect();
        let report = run(&root);
        let outputs = [
            report.to_text(false),
            report.to_text(true),
            report.to_json(true),
            report.to_markdown(true),
            report.graph.mermaid(),
        ];
        for value in &values {
            for output in &outputs {
                assert!(
                    !output.contains(value.as_str()),
                    "{}: the output holds `{value}` from a SOPS-encrypted file",
                    root.display()
                );
            }
        }
        checked_values += values.len();
    }
    assert!(checked_values > 20, "only {checked_values} SOPS values were checked");
}

#[test]
fn the_json_report_counts_and_lists_every_finding() {
    let report = run(&refs().join("joryirving__home-ops"));
    let json: Value = serde_json::from_str(&report.to_json(true)).unwrap();
    assert_eq!(json["summary"]["errors"], report.count(Severity::Error));
    assert_eq!(json["findings"].as_array().unwrap().len(), report.findings.len());
    assert_eq!(json["findings"][0]["code"], "sync-path-overlap");
    assert_eq!(json["clusters"][0]["phaseSource"], "inferred");
    assert!(json["graph"].as_str().unwrap().starts_with("flowchart LR\n"));
}

/// The text and Markdown reports of three repositories, with the repository path made stable.
#[test]
fn reports_of_three_repositories() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/doctor"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for name in [
            "onedr0p__home-ops@aadf263",
            "haraldkoch__kochhaus-home@9b46c64",
            "joryirving__home-ops",
        ] {
            let dir = refs().join(name);
            let report = run(&dir);
            let stable = |text: String| text.replace(&dir.display().to_string(), &format!("refs/{name}"));
            insta::assert_snapshot!(format!("{name}.txt"), stable(report.to_text(false)));
            insta::assert_snapshot!(format!("{name}.md"), stable(report.to_markdown(true)));
        }
    });
}
