//! What a FluxInstance changes when it takes over a `flux bootstrap` install: the components,
//! the NetworkPolicies, the sync intervals and the branch, the bootstrap's (the
//! `gotk-components.yaml` header and objects, `gotk-sync.yaml`) against the FluxInstance's (the
//! manifest or chart values in the repository, else the one `fluxgen.yaml` plans).
//!
//! The operator's defaults and the sync it writes (flux-operator, cited where used):
//! `api/v1/fluxinstance_types.go` (`GetComponents`: source, kustomize, helm and
//! notification-controller when `components` is empty; `networkPolicy` defaults to true;
//! `sync.interval` defaults to `1m`), `internal/builder/templates.go` (`syncTmpl`: the
//! GitRepository gets `interval: <sync.interval>` and `ref.name: <sync.ref>`, the Kustomization
//! a fixed `interval: 10m0s`, which only a patch changes).

use super::risks::{Context, by_phase};
use super::{Code, Finding, Severity};
use crate::component::Component;
use crate::scan::layout::ClusterScope;
use crate::scan::{FluxBootstrap, Patch};

/// The operator's sync Kustomization interval (`syncTmpl`).
const SYNC_KUSTOMIZATION_INTERVAL: &str = "10m0s";
/// The operator's default `sync.interval` (`fluxinstance_types.go`).
const SYNC_INTERVAL: &str = "1m";
/// The CRDs image-reflector-controller and image-automation-controller bring.
const IMAGE_GROUP: &str = "image.toolkit.fluxcd.io/";

/// What the FluxInstance (or the one planned) will run.
struct Wanted {
    components: Vec<String>,
    network_policy: bool,
    source_interval: String,
    kustomization_interval: String,
    reference: Option<String>,
    file: String,
    line: Option<u32>,
    planned: bool,
}

fn wanted(context: &Context, scope: &ClusterScope) -> Option<Wanted> {
    let defaults = || {
        Component::DEFAULTS
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    if let Some(&index) = scope.instances.first() {
        let instance = &context.repository.flux_instances[index];
        let sync = instance.sync.as_ref();
        return Some(Wanted {
            components: if instance.components.is_empty() {
                defaults()
            } else {
                instance.components.clone()
            },
            network_policy: instance.network_policy.unwrap_or(true),
            source_interval: sync
                .and_then(|s| s.interval.clone())
                .unwrap_or_else(|| SYNC_INTERVAL.to_owned()),
            kustomization_interval: patched_interval(
                instance
                    .patches
                    .iter()
                    .map(|p: &Patch| (p.target.as_ref().and_then(|t| t.kind.clone()), p.patch.as_str())),
            )
            .unwrap_or_else(|| SYNC_KUSTOMIZATION_INTERVAL.to_owned()),
            reference: sync.and_then(|s| s.reference.clone()),
            file: instance.at.file.clone(),
            line: Some(instance.at.line),
            planned: false,
        });
    }
    let cluster = scope.cluster?;
    let settings = &cluster.settings;
    Some(Wanted {
        components: match &settings.instance.components {
            Some(list) => list.iter().map(|c| c.as_str().to_owned()).collect(),
            None => defaults(),
        },
        network_policy: settings.instance.cluster.network_policy.unwrap_or(true),
        source_interval: settings.instance.sync.interval.to_string(),
        kustomization_interval: patched_interval(
            settings
                .tuning
                .patches
                .iter()
                .map(|p| (p.target.kind.clone(), p.patch.as_str())),
        )
        .unwrap_or_else(|| SYNC_KUSTOMIZATION_INTERVAL.to_owned()),
        reference: context.config.map(|c| c.repository.reference.clone()),
        file: context.config_name(),
        line: None,
        planned: true,
    })
}

/// The `/spec/interval` a JSON patch on Kustomizations sets, if any.
fn patched_interval<'a>(patches: impl Iterator<Item = (Option<String>, &'a str)>) -> Option<String> {
    for (kind, patch) in patches {
        if kind.as_deref().is_some_and(|k| k != "Kustomization") {
            continue;
        }
        let mut lines = patch.lines().skip_while(|l| !l.contains("/spec/interval"));
        if lines.next().is_none() {
            continue;
        }
        if let Some(value) = lines.find_map(|l| l.trim().trim_start_matches("- ").strip_prefix("value:")) {
            return Some(value.trim().trim_matches(['"', '\'']).to_owned());
        }
    }
    None
}

/// A Go duration in milliseconds (`1m0s` and `1m` are equal), when it parses.
fn millis(text: &str) -> Option<u64> {
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit = match (c, chars.peek()) {
            ('m', Some('s')) => {
                chars.next();
                1.0
            }
            ('h', _) => 3_600_000.0,
            ('m', _) => 60_000.0,
            ('s', _) => 1000.0,
            _ => return None,
        };
        total += number.parse::<f64>().ok()? * unit;
        number.clear();
    }
    (number.is_empty() && !text.trim().is_empty()).then_some(total as u64)
}

fn same_duration(a: &str, b: &str) -> bool {
    match (millis(a), millis(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// Components, NetworkPolicies, intervals and branch that differ between the bootstrap and
/// the FluxInstance; dropping the image controllers while image objects exist is an error.
pub(super) fn bootstrap_drift(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let Some(bootstrap) = scope.flux_bootstraps.first().map(|&i| &repository.flux_bootstraps[i]) else {
        return Vec::new();
    };
    let Some(wanted) = wanted(context, scope) else {
        return Vec::new();
    };
    let subject = if wanted.planned {
        "the FluxInstance fluxgen.yaml plans"
    } else {
        "the FluxInstance"
    };
    let mut findings = Vec::new();
    let finding = |severity, what: String, why: &str, fix: String, file: &str, note: &str| {
        Finding::new(Code::BootstrapDrift, severity, scope, &wanted.file, wanted.line)
            .what(what)
            .why(why)
            .fix(fix)
            .see(file, None, note)
    };
    if let Some(components) = bootstrap.components.as_ref().filter(|c| !c.placeholder) {
        findings.extend(component_findings(
            context, scope, bootstrap, components, &wanted, subject,
        ));
        if components.network_policies != wanted.network_policy {
            findings.push(finding(
                Severity::Warning,
                format!(
                    "`flux bootstrap` installed {} NetworkPolicies, {subject} {} them (`cluster.networkPolicy: {}`)",
                    if components.network_policies { "the" } else { "no" },
                    if wanted.network_policy { "adds" } else { "removes" },
                    wanted.network_policy
                ),
                "the takeover changes what may reach the controllers (webhooks, metrics, the source-controller \
                 artifacts) in the middle of the migration",
                format!(
                    "set `cluster.networkPolicy: {}` to keep what runs (`instance.cluster.networkPolicy` in \
                     fluxgen.yaml), and change it in a later, separate step",
                    components.network_policies
                ),
                &components.file,
                "the bootstrap install",
            ));
        }
    }
    let Some(sync) = bootstrap.sync.as_ref().filter(|s| !s.placeholder) else {
        return findings;
    };
    let source = sync.source.map(|i| &repository.git_repositories[i]);
    let kustomization = sync.kustomization.map(|i| &repository.kustomizations[i]);
    if let Some(source) = source {
        let reference = &source.reference;
        let had = reference
            .name
            .clone()
            .or_else(|| reference.branch.as_ref().map(|b| format!("refs/heads/{b}")))
            .or_else(|| reference.tag.as_ref().map(|t| format!("refs/tags/{t}")));
        if let (Some(had), Some(will)) = (had, wanted.reference.as_ref())
            && &had != will
        {
            findings.push(finding(
                by_phase(scope.phase, Severity::Warning, Severity::Error, Severity::Error),
                format!(
                    "the GitRepository `{}` follows `{had}`, {subject} syncs `{will}`",
                    source.name
                ),
                "the FluxInstance adopts `flux-system` in place: pointed at another ref, it applies that ref's \
                 tree, and prunes every object of the cluster the other ref does not hold",
                format!(
                    "sync `{had}` (`repository.branch` or `reference` in fluxgen.yaml); change refs later, on its own"
                ),
                &source.at.file,
                "the bootstrap GitRepository",
            ));
        }
        if let Some(had) = source
            .interval
            .as_deref()
            .filter(|i| !same_duration(i, &wanted.source_interval))
        {
            findings.push(finding(
                Severity::Info,
                format!(
                    "the GitRepository `{}` is fetched every {had}, {subject} fetches every {}",
                    source.name, wanted.source_interval
                ),
                "nothing breaks; changes reach the cluster at another pace",
                format!("set `sync.interval: {had}` to keep it (`instance.sync.interval` in fluxgen.yaml)"),
                &source.at.file,
                "the bootstrap GitRepository",
            ));
        }
    }
    if let Some(kustomization) = kustomization
        && let Some(had) = kustomization
            .interval
            .as_deref()
            .filter(|i| !same_duration(i, &wanted.kustomization_interval))
    {
        findings.push(finding(
            Severity::Info,
            format!(
                "the Kustomization `{}` reconciles every {had}, {subject}'s every {} (the operator writes \
                 `10m0s` unless a patch sets it)",
                kustomization.name, wanted.kustomization_interval
            ),
            "nothing breaks; drift is corrected at another pace",
            format!(
                "add a patch on the Kustomization `{}` setting `/spec/interval` to `{had}`",
                kustomization.name
            ),
            &kustomization.at.file,
            "the bootstrap Kustomization",
        ));
    }
    findings
}

/// The components the bootstrap runs and the FluxInstance drops or adds.
fn component_findings(
    context: &Context,
    scope: &ClusterScope,
    bootstrap: &FluxBootstrap,
    components: &crate::scan::ComponentsFile,
    wanted: &Wanted,
    subject: &str,
) -> Vec<Finding> {
    let dropped: Vec<&String> = components
        .components
        .iter()
        .filter(|c| !wanted.components.contains(c))
        .collect();
    let added: Vec<&String> = wanted
        .components
        .iter()
        .filter(|c| !components.components.contains(c))
        .collect();
    let image_objects: Vec<&crate::scan::ObjectRef> = context
        .repository
        .objects
        .iter()
        .filter(|o| o.api_version.starts_with(IMAGE_GROUP) && scope.contains(&o.at.file))
        .collect();
    let quoted = |list: &[&String]| list.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    let mut findings = Vec::new();
    if !dropped.is_empty() {
        let drops_images = dropped.iter().any(|c| c.starts_with("image-")) && !image_objects.is_empty();
        let mut finding = Finding::new(
            Code::BootstrapDrift,
            if drops_images {
                Severity::Error
            } else {
                Severity::Warning
            },
            scope,
            &wanted.file,
            wanted.line,
        )
        .what(format!(
            "`flux bootstrap` runs {} in {}, {subject} does not{}",
            quoted(&dropped),
            bootstrap.dir,
            if drops_images {
                format!(" while {} image.toolkit.fluxcd.io objects exist", image_objects.len())
            } else {
                String::new()
            }
        ))
        .why(if drops_images {
            "when the gotk files go at cutover, the bootstrap Kustomization prunes what the operator did not take \
             over (and the operator deletes what leaves its inventory): the image controllers and their CRDs, and \
             deleting a CRD deletes every ImageRepository, ImagePolicy and ImageUpdateAutomation"
        } else {
            "the operator does not take them over: at cutover the bootstrap Kustomization prunes them with the gotk \
             files, and what they did stops"
        })
        .fix(format!(
            "list {} in the FluxInstance's `components` (`instance.components` in fluxgen.yaml), or remove what \
             uses them first",
            quoted(&dropped)
        ))
        .see(&components.file, None, "`# Components:` of the bootstrap install");
        for object in image_objects.iter().take(5) {
            finding = finding.see(
                &object.at.file,
                Some(object.at.line),
                format!("{} `{}`", object.kind, object.name),
            );
        }
        findings.push(finding);
    }
    if !added.is_empty() {
        findings.push(
            Finding::new(Code::BootstrapDrift, Severity::Info, scope, &wanted.file, wanted.line)
                .what(format!(
                    "{subject} adds {} to what `flux bootstrap` runs in {}",
                    quoted(&added),
                    bootstrap.dir
                ))
                .why("new controllers start with the takeover; nothing the bootstrap ran is lost")
                .fix("nothing to fix if intended; otherwise add them in a later step")
                .see(&components.file, None, "`# Components:` of the bootstrap install"),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_compare_by_value() {
        assert!(same_duration("1m0s", "1m"));
        assert!(same_duration("10m0s", "10m"));
        assert!(same_duration("1h30m", "90m"));
        assert!(!same_duration("1m", "10m"));
        assert_eq!(millis("500ms"), Some(500));
        assert_eq!(millis("1x"), None);
    }

    #[test]
    fn the_interval_a_kustomization_patch_sets_is_read() {
        let patch = "- op: add\n  path: /spec/interval\n  value: 10m0s\n";
        assert_eq!(
            patched_interval([(Some("Kustomization".to_owned()), patch)].into_iter()),
            Some("10m0s".to_owned())
        );
        assert_eq!(
            patched_interval([(Some("Deployment".to_owned()), patch)].into_iter()),
            None
        );
    }
}
