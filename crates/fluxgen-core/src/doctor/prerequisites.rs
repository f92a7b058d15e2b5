//! Prerequisites of a migration step that live outside Flux: the External Secrets baseline a
//! webhook token needs, and the other large changes (a `chartRef` migration) that should not be
//! under way at the same time.

use std::collections::BTreeSet;

use super::risks::{Context, plural};
use super::{Code, Finding, Severity};
use crate::config::Phase;
use crate::scan::Chart;
use crate::scan::layout::ClusterScope;

/// External Secrets baseline: a webhook token that comes from an ExternalSecret, in a cluster
/// with no External Secrets app or no matching ClusterSecretStore.
pub(super) fn external_secrets_baseline(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    // (store kind, store name, where the need comes from)
    let mut needs: Vec<(String, String, String, Option<u32>, String)> = Vec::new();
    if let Some(cluster) = scope.cluster
        && cluster.settings.webhook.provider != crate::config::WebhookProvider::None
        && let Some(source) = cluster
            .settings
            .webhook
            .token
            .as_ref()
            .and_then(crate::config::TokenSource::external_secret)
    {
        needs.push((
            "ClusterSecretStore".to_owned(),
            source.store.clone(),
            context.config_name(),
            None,
            "`webhook.token.externalSecret` in fluxgen.yaml".to_owned(),
        ));
    }
    let receiver_secrets: BTreeSet<&str> = repository
        .receivers
        .iter()
        .filter(|r| scope.contains(&r.at.file))
        .filter_map(|r| r.secret_ref.as_deref())
        .collect();
    for secret in repository
        .external_secrets
        .iter()
        .filter(|s| scope.contains(&s.at.file))
    {
        let Some(store) = &secret.store else {
            continue;
        };
        if receiver_secrets.contains(secret.target.as_str()) {
            needs.push((
                secret.store_kind.clone(),
                store.clone(),
                secret.at.file.clone(),
                Some(secret.at.line),
                format!(
                    "the ExternalSecret `{}` writes the Receiver's token `{}`",
                    secret.name, secret.target
                ),
            ));
        }
    }
    let app = external_secrets_app(context, scope);
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    for (kind, store, file, line, source) in needs {
        if !seen.insert((kind.clone(), store.clone(), file.clone())) {
            continue;
        }
        let store_file = repository
            .objects
            .iter()
            .find(|o| o.kind == kind && o.name == store && scope.contains(&o.at.file));
        let (what, fix) = match (&app, store_file) {
            (Some(_), Some(_)) => continue,
            (None, _) => (
                format!(
                    "the webhook token comes from the {kind} `{store}` ({source}), but {} has no External \
                     Secrets app",
                    scope.label()
                ),
                format!(
                    "install external-secrets in {} and add the {kind} `{store}` before the flux-instance app; \
                     or take the token from an existing Secret (`webhook.token.secret`)",
                    scope.label()
                ),
            ),
            (Some(_), None) => (
                format!(
                    "the webhook token comes from the {kind} `{store}` ({source}), which {} does not define",
                    scope.label()
                ),
                format!(
                    "add the {kind} `{store}` to {}, or point the ExternalSecret at a store it has",
                    scope.label()
                ),
            ),
        };
        let why = if app.is_none() {
            "without External Secrets there is no ExternalSecret CRD: the Kustomization that applies the \
             ExternalSecret fails as a whole (with the flux-instance app, the FluxInstance is never updated), and \
             the Receiver has no token"
        } else {
            "the ExternalSecret never becomes ready without its store: the Receiver has no token, and pushes wait \
             for the next sync interval"
        };
        let mut finding = Finding::new(Code::ExternalSecretsBaseline, Severity::Warning, scope, &file, line)
            .what(what)
            .why(why)
            .fix(fix);
        if let Some(app) = &app {
            finding = finding.see(&app.0, Some(app.1), "the External Secrets app (or what depends on it)");
        }
        findings.push(finding);
    }
    findings
}

/// The cluster's External Secrets app: a HelmRelease or Kustomization named for it, a
/// HelmRelease of its chart, or a Kustomization that depends on one (`external-secrets-stores`).
fn external_secrets_app(context: &Context, scope: &ClusterScope) -> Option<(String, u32)> {
    let repository = context.repository;
    let release = repository.helm_releases.iter().find(|r| {
        scope.contains(&r.at.file)
            && (r.name == "external-secrets"
                || matches!(&r.chart, Chart::Spec { chart, .. } if chart == "external-secrets")
                || matches!(&r.chart, Chart::Ref(c) if c.name == "external-secrets"))
    });
    if let Some(release) = release {
        return Some((release.at.file.clone(), release.at.line));
    }
    repository
        .kustomizations
        .iter()
        .filter(|k| scope.contains(&k.at.file))
        .find(|k| {
            k.name.starts_with("external-secrets")
                || k.depends_on.iter().any(|d| d.name.starts_with("external-secrets"))
        })
        .map(|k| (k.at.file.clone(), k.at.line))
}

/// The chart an OCI repository URL serves: its last path segment (`oci://ghcr.io/x/charts/echo`
/// serves `echo`).
fn oci_chart(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

/// Sequencing: a `chartRef` migration under way in the cluster: a chart that some
/// HelmReleases still take from `chart.spec` while an OCIRepository for it already exists (or
/// other HelmReleases already use it through `chartRef`). HelmReleases that merely use
/// `chart.spec`, and the operator's own chartRef releases, are not a migration.
pub(super) fn sequencing(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let own = |chart: &str| [crate::facts::OPERATOR_CHART_NAME, crate::facts::INSTANCE_CHART_NAME].contains(&chart);
    // OCIRepositories of charts: not the sources of Kustomizations (manifest artifacts).
    let manifest_sources: BTreeSet<&str> = repository
        .kustomizations
        .iter()
        .filter_map(|k| k.source_ref.as_ref())
        .filter(|s| s.kind == "OCIRepository")
        .map(|s| s.name.as_str())
        .collect();
    let oci_charts: BTreeSet<&str> = repository
        .oci_repositories
        .iter()
        .filter(|o| scope.contains(&o.at.file) && !manifest_sources.contains(o.name.as_str()))
        .map(|o| oci_chart(&o.url))
        .filter(|chart| !own(chart))
        .collect();
    let releases: Vec<_> = repository
        .helm_releases
        .iter()
        .filter(|r| scope.contains(&r.at.file))
        .collect();
    let spec: Vec<_> = releases
        .iter()
        .filter(|r| matches!(&r.chart, Chart::Spec { chart, .. } if oci_charts.contains(chart.as_str())))
        .collect();
    let Some(first) = spec.first() else {
        return Vec::new();
    };
    let charts: BTreeSet<&str> = spec
        .iter()
        .filter_map(|r| match &r.chart {
            Chart::Spec { chart, .. } => Some(chart.as_str()),
            _ => None,
        })
        .collect();
    let migrated: Vec<_> = releases
        .iter()
        .filter(|r| match &r.chart {
            Chart::Ref(reference) => repository
                .oci_repositories
                .iter()
                .any(|o| o.name == reference.name && charts.contains(oci_chart(&o.url)) && scope.contains(&o.at.file)),
            _ => false,
        })
        .collect();
    let migrating = matches!(scope.phase, Some(Phase::Operator | Phase::Instance | Phase::Cutover));
    let severity = if migrating { Severity::Warning } else { Severity::Info };
    let names: Vec<String> = charts.iter().map(|c| format!("`{c}`")).collect();
    let mut finding = Finding::new(Code::Sequencing, severity, scope, &first.at.file, Some(first.at.line))
        .what(format!(
            "a chartRef migration is under way in {}: {} {} from `chart.spec` while an OCIRepository for {} \
             already exists{}",
            scope.label(),
            plural(
                spec.len(),
                "HelmRelease still takes its chart",
                "HelmReleases still take their charts"
            ),
            names.join(", "),
            if charts.len() == 1 { "it" } else { "them" },
            if migrated.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} already through `chartRef`)",
                    plural(migrated.len(), "release", "releases")
                )
            }
        ))
        .why(
            "the Flux Operator migration changes the system that applies everything else; the migration plan \
             advises against doing it while large chartRef migrations or global-patch changes are in flight, \
             so a failure has one cause",
        )
        .fix(if migrating {
            "finish (or pause) the chartRef migration before the next phase, or finish this phase first and \
             resume it afterwards"
        } else {
            "finish the chartRef migration before starting the Flux Operator migration of this cluster (or \
             after completing it)"
        });
    for release in spec.iter().skip(1).take(9) {
        finding = finding.see(&release.at.file, Some(release.at.line), "uses `chart.spec`");
    }
    for release in migrated.iter().take(10) {
        finding = finding.see(&release.at.file, Some(release.at.line), "uses `chartRef`");
    }
    vec![finding]
}
