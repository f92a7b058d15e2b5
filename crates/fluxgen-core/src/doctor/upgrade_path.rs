//! A cluster whose running Flux (the version its bootstrap install pins) is more than one minor
//! below the `distribution.version` it is moving to: the operator installs the target at once,
//! but Flux is upgraded one minor at a time (each minor's CRDs stop serving API versions the
//! previous one still served, and the operator refuses downgrades), so the finding lists the
//! minor-by-minor path and, for each step, what changes that this repository uses:
//!
//! - the API versions its objects use that the step's CRDs no longer serve
//!   ([`crate::facts::Release::crd`], read from each release's CRDs);
//! - `StrictPostBuildSubstitutions`, on by default from kustomize-controller v1.9 (Flux 2.9), when
//!   the repository substitutes `${VAR}` without a default;
//! - feature gates its controller patches set that the step's controller does not know, or
//!   ignores (`AdoptLegacyReleases` from helm-controller v1.5.0, Flux 2.8), and flags they pass
//!   that the step's controller no longer accepts (image-reflector-controller's auto-login flags,
//!   removed in Flux 2.7).

use super::risks::Context;
use super::{Code, Finding, Severity};
use crate::facts::{self, Release};
use crate::scan::ScannedRepository;
use crate::scan::layout::ClusterScope;

/// The running version of a cluster, as its install pins it, and where.
pub(crate) struct Running {
    /// `(major, minor, patch)`.
    pub(crate) number: (u32, u32, u32),
    /// The file and line that pin it.
    pub(crate) file: String,
    pub(crate) line: Option<u32>,
}

/// One minor of an upgrade path, and what it changes that the repository uses.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct UpgradeStep {
    /// The minor upgraded from, `2.6`.
    pub from: String,
    /// The release upgraded to (the minor's newest patch fluxgen knows), `v2.7.5`.
    pub to: String,
    /// What the step changes that this repository uses, one sentence each.
    pub changes: Vec<String>,
}

fn parse(version: &str) -> Option<(u32, u32, u32)> {
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    let mut next = || parts.next()?.parse().ok();
    Some((next()?, next()?, next().unwrap_or(0)))
}

/// The Flux version the cluster's current install pins: a bootstrap install's `ref`, the
/// `gotk-components.yaml` header, or the tag of the `flux-manifests` OCIRepository.
pub(crate) fn running(repository: &ScannedRepository, scope: &ClusterScope) -> Option<Running> {
    let mut found = Vec::new();
    for &index in &scope.bootstraps {
        let install = &repository.bootstrap_installs[index];
        if let Some(number) = install.version.as_deref().and_then(parse) {
            found.push(Running {
                number,
                file: install.at.file.clone(),
                line: Some(install.at.line),
            });
        }
    }
    for &index in &scope.flux_bootstraps {
        if let Some(components) = &repository.flux_bootstraps[index].components
            && let Some(number) = components.version.as_deref().and_then(parse)
        {
            found.push(Running {
                number,
                file: components.file.clone(),
                line: None,
            });
        }
    }
    for &index in &scope.flux_manifests {
        if let Some(oci) = repository.flux_manifest_source(&repository.kustomizations[index])
            && let Some(number) = oci.tag.as_deref().and_then(parse)
        {
            found.push(Running {
                number,
                file: oci.at.file.clone(),
                line: Some(oci.at.line),
            });
        }
    }
    found.into_iter().min_by_key(|r| r.number)
}

/// The release fluxgen knows for a minor.
fn release_of(minor: (u32, u32)) -> Option<&'static Release> {
    facts::RELEASES.iter().find(|r| r.minor() == minor)
}

/// The minor-by-minor path from `running` to `target`, each step with what it changes that the
/// cluster's files use; empty when the target is at most one minor ahead.
pub(crate) fn path(
    repository: &ScannedRepository,
    scope: &ClusterScope,
    running: (u32, u32, u32),
    target: &Release,
) -> Vec<UpgradeStep> {
    let (major, from_minor) = (running.0, running.1);
    if major != target.number.0 || target.number.1 <= from_minor + 1 {
        return Vec::new();
    }
    let objects: Vec<_> = repository
        .objects
        .iter()
        .filter(|o| scope.contains(&o.at.file))
        .collect();
    let substitutes_without_default = repository
        .variable_uses
        .iter()
        .filter(|(file, _)| scope.contains(file))
        .any(|(_, uses)| uses.iter().any(|u| !u.has_default));
    let (gates_set, flags_set) = patch_settings(repository, scope);
    let mut steps = Vec::new();
    for minor in from_minor + 1..=target.number.1 {
        let Some(release) = release_of((major, minor)) else {
            steps.push(UpgradeStep {
                from: format!("{major}.{}", minor - 1),
                to: format!("{major}.{minor}"),
                changes: vec!["fluxgen knows no facts of this minor: read its release notes".to_owned()],
            });
            continue;
        };
        let previous = release_of((major, minor - 1));
        let mut changes = Vec::new();
        for object in &objects {
            let Some((group, version)) = object.api_version.rsplit_once('/') else {
                continue;
            };
            let Some(crd) = release.crd(&object.kind, group) else {
                continue;
            };
            let served_before = previous
                .and_then(|p| p.crd(&object.kind, group))
                .is_none_or(|c| c.versions.contains(&version));
            if served_before && !crd.versions.contains(&version) {
                changes.push(format!(
                    "{} `{}` ({}:{}) uses {}, which Flux {} no longer serves (it serves {}): move it to {}/{} first",
                    object.kind,
                    object.name,
                    object.at.file,
                    object.at.line,
                    object.api_version,
                    release.version,
                    crd.versions.join(", "),
                    group,
                    crd.versions[0],
                ));
            }
        }
        if minor == 9 && substitutes_without_default {
            changes.push(
                "kustomize-controller turns `StrictPostBuildSubstitutions` on: a `${VAR}` with no default that a \
                 Kustomization does not define fails its build (see the `strict-substitution` findings)"
                    .to_owned(),
            );
        }
        for (component, gate) in &gates_set {
            if release.controller(*component).is_none() {
                continue;
            }
            if !release.feature_gates(*component).contains(&gate.as_str()) {
                changes.push(format!(
                    "the patches set the gate `{gate}` on {component}, which {component} of Flux {} does not know: it \
                     would refuse to start",
                    release.version
                ));
            } else if let Some(why) = release.ignored_gate(*component, gate)
                && previous.is_none_or(|p| p.ignored_gate(*component, gate).is_none())
            {
                changes.push(format!("the patches set `{gate}` on {component}: {why}"));
            }
        }
        for (component, flag) in &flags_set {
            if let Some(why) = release.removed_flag(*component, flag)
                && previous.is_none_or(|p| p.removed_flag(*component, flag).is_none())
            {
                changes.push(format!(
                    "the patches pass `--{flag}` to {component}, which would refuse to start: {why}"
                ));
            }
        }
        steps.push(UpgradeStep {
            from: format!("{major}.{}", minor - 1),
            to: release.version.to_owned(),
            changes,
        });
    }
    steps
}

/// A gate or flag (bare name) a patch sets on a controller.
type Setting = (crate::Component, String);

/// The feature gates and the flags (bare names) the cluster's current controller patches set,
/// per controller.
fn patch_settings(repository: &ScannedRepository, scope: &ClusterScope) -> (Vec<Setting>, Vec<Setting>) {
    let patches = scope
        .bootstraps
        .iter()
        .flat_map(|&i| &repository.bootstrap_installs[i].patches)
        .chain(
            scope
                .flux_manifests
                .iter()
                .flat_map(|&i| &repository.kustomizations[i].patches),
        );
    let (mut gates, mut flags) = (Vec::new(), Vec::new());
    let push = |list: &mut Vec<Setting>, component: crate::Component, name: String| {
        if !list.contains(&(component, name.clone())) {
            list.push((component, name));
        }
    };
    for patch in patches {
        let targeted: Vec<crate::Component> = crate::Component::ALL
            .into_iter()
            .filter(|c| {
                patch
                    .target
                    .as_ref()
                    .is_some_and(|t| crate::patch::matches(t, &facts::deployment(*c)).unwrap_or(false))
            })
            .collect();
        for line in patch.patch.lines() {
            let Some(at) = line.find("--") else { continue };
            let arg = line[at..].trim().trim_matches(['"', '\'']);
            let name = facts::flag_name(arg).to_owned();
            if name == "feature-gates" {
                let list = arg.split_once('=').map_or("", |(_, list)| list);
                for pair in list.split(',') {
                    let gate = pair.split_once('=').map_or(pair, |(g, _)| g).trim().to_owned();
                    for component in &targeted {
                        push(&mut gates, *component, gate.clone());
                    }
                }
            } else {
                for component in &targeted {
                    push(&mut flags, *component, name.clone());
                }
            }
        }
    }
    (gates, flags)
}

/// The finding: the cluster runs Flux more than one minor below what it is configured to run.
pub(super) fn upgrade_path(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let Some(cluster) = scope.cluster else {
        return Vec::new();
    };
    let Some(running) = running(context.repository, scope) else {
        return Vec::new();
    };
    let target = facts::resolve_version(&cluster.settings.instance.distribution.version).release;
    let steps = path(context.repository, scope, running.number, target);
    if steps.is_empty() {
        return Vec::new();
    }
    let (major, minor, patch) = running.number;
    let listed: Vec<String> = steps
        .iter()
        .map(|s| {
            let changes = if s.changes.is_empty() {
                "nothing this repository uses changes".to_owned()
            } else {
                s.changes.join("; ")
            };
            format!("{} → {}: {changes}", s.from, s.to)
        })
        .collect();
    vec![
        Finding::new(Code::UpgradePath, Severity::Warning, scope, &running.file, running.line)
            .what(format!(
                "the cluster runs Flux v{major}.{minor}.{patch} and `distribution.version` asks for {} ({}): {} minors at once",
                cluster.settings.instance.distribution.version,
                target.version,
                steps.len()
            ))
            .why(
                "each Flux minor stops serving API versions the one before still served and changes defaults; the \
                 operator installs the target at once and refuses to go back, so a jump skips the steps that would have \
                 caught what breaks",
            )
            .fix(format!(
                "upgrade one minor at a time (set `distribution.version` to each minor in turn, or upgrade the bootstrap \
                 install first), doing what each step needs: {}",
                listed.join(" | ")
            )),
    ]
}
