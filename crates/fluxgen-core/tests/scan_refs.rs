//! The repository scanner on every reference repository of `$FLUXGEN_SHARED/refs/`: each must
//! have an entry in [`expectations`] (a new reference fails until it gets one), and what the
//! scanner finds there is asserted object by object. Across all of them: no SOPS ciphertext
//! in the model, every location points at a real line.

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use fluxgen_core::scan::{EntryTarget, InstanceSource, NoteKind, ScannedRepository};

fn refs() -> PathBuf {
    support::shared_dir().join("refs")
}

fn scanned(name: &str) -> ScannedRepository {
    let dir = refs().join(name);
    fluxgen_core::scan(&dir).unwrap_or_else(|e| panic!("scanning {}: {e}", dir.display()))
}

/// `(file, sync path)` of every FluxInstance.
fn instances(repository: &ScannedRepository) -> Vec<(String, Option<String>)> {
    repository
        .flux_instances
        .iter()
        .map(|i| (i.at.file.clone(), i.sync.as_ref().and_then(|s| s.path.clone())))
        .collect()
}

fn git(repository: &ScannedRepository, name: &str) -> (String, String, Option<String>) {
    let source = repository
        .git_repositories
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no GitRepository {name}"));
    (
        source.url.clone(),
        source.at.file.clone(),
        source.reference.branch.clone(),
    )
}

/// `(file, version)` of every bootstrap install.
fn bootstraps(repository: &ScannedRepository) -> Vec<(String, Option<String>)> {
    repository
        .bootstrap_installs
        .iter()
        .map(|b| (b.at.file.clone(), b.version.clone()))
        .collect()
}

fn template_notes(repository: &ScannedRepository) -> usize {
    repository.notes.iter().filter(|n| n.kind == NoteKind::Template).count()
}

/// What an expert sees in each reference repository.
fn expectations(name: &str, r: &ScannedRepository) {
    let s = |v: &str| v.to_owned();
    match name {
        "onedr0p__home-ops@aadf263" => {
            // GOTK layout with two clusters.
            assert_eq!(
                git(r, "home-kubernetes"),
                (
                    s("ssh://git@github.com/onedr0p/home-ops"),
                    s("kubernetes/main/flux/config/cluster.yaml"),
                    Some(s("main"))
                )
            );
            assert_eq!(
                bootstraps(r),
                [
                    (
                        s("kubernetes/main/bootstrap/flux/kustomization.yaml"),
                        Some(s("v2.3.0"))
                    ),
                    (
                        s("kubernetes/storage/bootstrap/flux/kustomization.yaml"),
                        Some(s("v2.3.0"))
                    ),
                ]
            );
            assert_eq!(
                r.bootstrap_installs[0].patches.len(),
                7,
                "the NetworkPolicy delete and six renames"
            );
            let sops: Vec<&str> = r.sops_files.iter().map(|f| f.file.as_str()).collect();
            assert_eq!(
                sops,
                [
                    "kubernetes/main/flux/vars/cluster-secrets.secret.sops.yaml",
                    "kubernetes/storage/flux/vars/cluster-secrets.secret.sops.yaml"
                ]
            );
            assert_eq!(r.sops_files[0].documents[0].kind.as_deref(), Some("Secret"));
            assert_eq!(r.sops_files[0].documents[0].name.as_deref(), Some("cluster-secrets"));
            let flux = r.flux_manifest_kustomizations();
            assert_eq!(flux.len(), 2);
            assert_eq!(flux[0].0.name, "flux");
            assert_eq!(flux[0].1.tag.as_deref(), Some("v2.3.0"));
            assert_eq!(flux[0].0.patches.len(), 5);
            let cluster = r
                .kustomizations
                .iter()
                .find(|k| k.name == "cluster" && k.at.file.starts_with("kubernetes/main/"))
                .expect("the root Kustomization");
            assert_eq!(cluster.path.as_deref(), Some("./kubernetes/main/flux"));
            assert_eq!(cluster.at.line, 22);
            assert_eq!(
                cluster.decryption.as_ref().and_then(|d| d.secret_ref.as_deref()),
                Some("sops-age")
            );
            let from = &cluster.post_build.as_ref().expect("postBuild").substitute_from;
            assert_eq!(from.len(), 2);
            assert_eq!(
                (from[1].kind.as_str(), from[1].name.as_str()),
                ("Secret", "cluster-secrets")
            );
            // What `cluster` applies: Flux generates a kustomization for kubernetes/main/flux.
            let applied = r.applied_files("./kubernetes/main/flux");
            for file in [
                "kubernetes/main/flux/apps.yaml",
                "kubernetes/main/flux/config/cluster.yaml",
                "kubernetes/main/flux/config/flux.yaml",
                "kubernetes/main/flux/vars/cluster-settings.yaml",
                "kubernetes/main/flux/vars/cluster-secrets.secret.sops.yaml",
            ] {
                assert!(applied.iter().any(|f| f == file), "{file} not in {applied:?}");
            }
            assert!(!applied.iter().any(|f| f.contains("kustomization.yaml")), "{applied:?}");
            assert_eq!(r.receivers[0].resources.len(), 3);
            assert!(r.flux_instances.is_empty());
        }
        "szinn__k8s-homelab@f8b22a4" => {
            // `cluster/` instead of `flux/`, clusters main and staging.
            assert_eq!(
                git(r, "homelab-kubernetes"),
                (
                    s("https://github.com/szinn/k8s-homelab.git"),
                    s("kubernetes/main/cluster/config/cluster.yaml"),
                    Some(s("main"))
                )
            );
            assert_eq!(
                bootstraps(r),
                [
                    (
                        s("kubernetes/main/bootstrap/flux/kustomization.yaml"),
                        Some(s("v2.4.0"))
                    ),
                    (
                        s("kubernetes/staging/bootstrap/flux/kustomization.yaml"),
                        Some(s("v2.4.0"))
                    ),
                ]
            );
            // kubernetes/<c>/bootstrap/kustomization.yaml lists the `flux` directory.
            let bootstrap = r
                .kustomize_file("kubernetes/main/bootstrap")
                .expect("the bootstrap kustomization");
            assert_eq!(
                bootstrap.resources[0].target,
                EntryTarget::Directory(s("kubernetes/main/bootstrap/flux"))
            );
            // vars lists an encrypted file that is not in the snapshot of the repository.
            assert!(r.notes.iter().any(|n| n.kind == NoteKind::MissingPath
                && n.file == "kubernetes/main/cluster/vars/kustomization.yaml"
                && n.line == Some(7)));
            let flux = r.flux_manifest_kustomizations();
            assert_eq!(flux.len(), 2);
            assert_eq!(flux[0].0.patches.len(), 8);
            assert!(r.kustomizations.iter().any(|k| k.name == "cluster-repositories"));
            assert_eq!(r.alerts[0].event_sources[0].kind, "HelmRelease");
        }
        "haraldkoch__kochhaus-home@ca268bc" => {
            // One cluster, `main`, bootstrap without a `flux/` subdirectory.
            assert_eq!(
                git(r, "home-kubernetes"),
                (
                    s("https://github.com/haraldkoch/kochhaus-home"),
                    s("kubernetes/main/flux/config/cluster.yaml"),
                    Some(s("main"))
                )
            );
            assert_eq!(
                bootstraps(r),
                [(s("kubernetes/main/bootstrap/kustomization.yaml"), Some(s("v2.4.0")))]
            );
            let vars = r.kustomize_file("kubernetes/main/flux/vars").expect("vars");
            assert_eq!(vars.config_map_generators[0].name, "cluster-settings");
            assert_eq!(
                vars.config_map_generators[0].envs,
                [EntryTarget::File(s("kubernetes/main/flux/vars/cluster-settings.env"))]
            );
            assert_eq!(
                vars.secret_generators[0].envs,
                [EntryTarget::Missing(s(
                    "kubernetes/main/flux/vars/cluster-secrets.sops.env"
                ))]
            );
            assert_eq!(r.receivers[0].name, "github-receiver");
            assert_eq!(r.providers[0].provider_type, "github");
            assert_eq!(r.alerts[0].provider_ref.as_deref(), Some("github"));
            // The `flux` Kustomization's control-plane scheduling patch selects by label.
            let flux = r.flux_manifest_kustomizations();
            let target = flux[0].0.patches[1].target.as_ref().expect("a target");
            assert_eq!(target.label_selector.as_deref(), Some("control-plane=controller"));
        }
        "haraldkoch__kochhaus-home@9b46c64" => {
            // main migrated (FluxInstance from chart values in a generated ConfigMap), network not.
            assert_eq!(
                bootstraps(r),
                [(s("kubernetes/network/bootstrap/kustomization.yaml"), Some(s("v2.4.0")))]
            );
            let [instance] = &r.flux_instances[..] else {
                panic!("{:?}", instances(r))
            };
            assert_eq!(
                instance.source,
                InstanceSource::HelmRelease {
                    release: s("flux-instance"),
                    values_file: Some(s(
                        "kubernetes/main/apps/flux-system/flux-operator/instance/helm-values.yaml"
                    )),
                }
            );
            let sync = instance.sync.as_ref().expect("a sync");
            assert_eq!(sync.name.as_deref(), Some("home-kubernetes"));
            assert_eq!(sync.path.as_deref(), Some("kubernetes/main/flux/cluster"));
            assert_eq!(instance.patches.len(), 6);
            assert_eq!(
                instance.patches[0].at.file,
                "kubernetes/main/apps/flux-system/flux-operator/instance/helm-values.yaml"
            );
            assert_eq!(r.sops_files.len(), 3);
            let secret = r
                .sops_files
                .iter()
                .find(|f| f.file.ends_with("webhooks/secret.sops.yaml"))
                .expect("the webhook token Secret");
            assert_eq!(secret.documents[0].name.as_deref(), Some("github-webhook-token-secret"));
        }
        "haraldkoch__kochhaus-home" => {
            assert_eq!(
                instances(r),
                ["main", "network", "registry"].map(|c| (
                    format!("kubernetes/{c}/apps/flux-system/flux-instance/app/helmrelease.yaml"),
                    Some(format!("kubernetes/{c}/flux/cluster"))
                ))
            );
            assert!(r.bootstrap_installs.is_empty() && r.git_repositories.is_empty());
            assert_eq!(r.receivers.len(), 3);
        }
        "onedr0p__home-ops" => {
            assert_eq!(
                instances(r),
                [(
                    s("kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml"),
                    Some(s("kubernetes/flux/cluster"))
                )]
            );
            assert_eq!(r.flux_instances[0].patches.len(), 9);
            assert_eq!(r.flux_instances[0].network_policy, Some(false));
            assert_eq!(r.flux_instances[0].components.len(), 4);
        }
        "onedr0p__home-ops@13ce7dc" => {
            // values from helm/values.yaml; the chart's OCIRepository in the HelmRelease's file.
            let [instance] = &r.flux_instances[..] else {
                panic!("{:?}", instances(r))
            };
            assert_eq!(instance.distribution_version.as_deref(), Some("2.6.4"));
            assert!(
                matches!(&instance.source, InstanceSource::HelmRelease { values_file: Some(f), .. }
                if f == "kubernetes/apps/flux-system/flux-instance/app/helm/values.yaml")
            );
            let oci = r.oci_repository("flux-instance", None).expect("the chart source");
            assert_eq!(
                oci.at.file,
                "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml"
            );
            assert_eq!(oci.tag.as_deref(), Some("0.28.0"));
        }
        "onedr0p__home-ops@0280fbf" => {
            assert_eq!(
                instances(r),
                [(
                    s("kubernetes/main/apps/flux-system/flux-operator/instance/helmrelease.yaml"),
                    Some(s("kubernetes/main/flux/config"))
                )]
            );
            assert!(r.bootstrap_installs.is_empty());
        }
        "bjw-s-labs__home-ops" => {
            assert_eq!(
                instances(r),
                [(
                    s("kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml"),
                    Some(s("kubernetes/flux/cluster"))
                )]
            );
            assert_eq!(r.receivers.len(), 1);
        }
        "joryirving__home-ops" => {
            assert_eq!(
                instances(r),
                ["main", "test", "utility"].map(|c| (
                    format!("kubernetes/clusters/{c}/flux-instance/helmrelease.yaml"),
                    Some(format!("kubernetes/clusters/{c}"))
                ))
            );
        }
        "joryirving__home-ops@2420748" => {
            assert_eq!(
                instances(r),
                ["main", "utility"].map(|c| (
                    format!("kubernetes/{c}/apps/flux-system/flux-operator/instance/helmrelease.yaml"),
                    Some(format!("kubernetes/{c}/flux/config"))
                ))
            );
            assert_eq!(r.alerts.len(), 2);
        }
        "szinn__k8s-homelab" => {
            assert_eq!(
                instances(r),
                ["main", "staging"].map(|c| (
                    format!("kubernetes/{c}/apps/flux-system/flux-instance/app/helmrelease.yaml"),
                    Some(format!("kubernetes/{c}/cluster/config"))
                ))
            );
        }
        "onedr0p__cluster-template" | "onedr0p__cluster-template@27cb263" | "onedr0p__cluster-template@5612222" => {
            // makejinja templates: every `.j2` is noted and skipped, nothing is modelled.
            let j2 = count_files(name, ".j2");
            assert!(j2 > 10);
            assert_eq!(template_notes(r), j2);
            assert!(r.objects.is_empty() && r.flux_instances.is_empty() && r.kustomize_files.is_empty());
        }
        other => panic!("no expectations for the reference repository {other}: add them to this test"),
    }
}

fn count_files(name: &str, suffix: &str) -> usize {
    fn walk(dir: &std::path::Path, suffix: &str) -> usize {
        fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| {
                        let path = e.path();
                        if path.is_dir() {
                            walk(&path, suffix)
                        } else {
                            usize::from(path.to_string_lossy().ends_with(suffix))
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&refs().join(name), suffix)
}

/// Every location names a file of the repository and a line inside it.
fn locations_are_real(name: &str, r: &ScannedRepository) {
    let root = refs().join(name);
    let mut locations = Vec::new();
    locations.extend(r.objects.iter().map(|o| &o.at));
    locations.extend(r.kustomize_files.values().map(|k| &k.at));
    locations.extend(r.flux_instances.iter().map(|i| &i.at));
    locations.extend(r.kustomizations.iter().flat_map(|k| k.patches.iter().map(|p| &p.at)));
    for at in locations {
        let text = fs::read_to_string(root.join(&at.file)).unwrap_or_else(|e| panic!("{name}: {at}: {e}"));
        assert!(at.line >= 1 && at.line as usize <= text.lines().count(), "{name}: {at}");
    }
}

#[test]
fn every_reference_repository() {
    let mut names: Vec<String> = fs::read_dir(refs())
        .unwrap_or_else(|e| panic!("reading {}: {e} (set FLUXGEN_SHARED)", refs().display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 15, "{names:?}");
    for name in &names {
        let repository = scanned(name);
        expectations(name, &repository);
        locations_are_real(name, &repository);
        let debug = format!("{repository:?}");
        for ciphertext in ["ENC[", "BEGIN AGE ENCRYPTED FILE", "age1"] {
            assert!(!debug.contains(ciphertext), "{name}: `{ciphertext}` in the model");
        }
        let json = serde_json::to_string(&repository).expect("the model serializes");
        assert!(!json.contains("ENC["), "{name}: ciphertext in the JSON model");
    }
}

#[test]
fn the_sops_values_never_reach_the_model() {
    let repository = scanned("onedr0p__home-ops@aadf263");
    let secret = fs::read_to_string(
        refs().join("onedr0p__home-ops@aadf263/kubernetes/main/flux/vars/cluster-secrets.secret.sops.yaml"),
    )
    .expect("the encrypted file");
    let debug = format!("{repository:?}");
    let values: BTreeSet<&str> = secret
        .lines()
        .filter_map(|line| line.split_once(": ").map(|(_, v)| v.trim()))
        .filter(|v| v.len() > 20)
        .collect();
    assert!(!values.is_empty());
    for value in values {
        assert!(!debug.contains(value), "an encrypted value reached the model: {value}");
    }
}

#[test]
fn scanning_twice_gives_the_same_model() {
    for name in ["onedr0p__home-ops@aadf263", "haraldkoch__kochhaus-home@9b46c64"] {
        assert_eq!(scanned(name), scanned(name));
    }
}
