//! What import leaves in the repository, and what changes at cutover: the bootstrap install,
//! the `flux` Kustomization, the root objects, what the FluxInstance sync cannot express,
//! Receivers and Alerts naming root objects, SOPS files.

use super::clusters::{Found, inside};
use super::report::{EntryKind, ImportReport};
use crate::config::Settings;
use crate::scan::ScannedRepository;

/// What stays in the repository and what changes at cutover: the bootstrap install, the
/// `flux` Kustomization, the root objects, the GitRepository fields the FluxInstance cannot
/// express, Receivers and Alerts naming root objects, SOPS files.
pub(super) fn left_behind(
    repository: &ScannedRepository,
    found: &Found<'_>,
    settings: &Settings,
    report: &mut ImportReport,
) {
    let cluster = Some(found.name.as_str());
    if let Some(bootstrap) = found.bootstrap {
        report.push(
            cluster,
            EntryKind::NotTranslated,
            format!(
                "the bootstrap install ({}) stays until cutover, then goes: it must never be re-applied while the \
                 FluxInstance manages the controllers",
                bootstrap.url
            ),
            Some(&bootstrap.at),
        );
    }
    if let Some((flux, oci)) = found.flux {
        report.push(
            cluster,
            EntryKind::NotTranslated,
            format!(
                "the `{}` Kustomization and its OCIRepository `{}` ({}) manage the controllers: remove both at cutover, \
                 with `prune: false` first so deleting them does not delete the controllers",
                flux.name, oci.name, oci.url
            ),
            Some(&flux.at),
        );
    }
    let adopts_root = found.proposal.as_ref().is_some_and(|p| p.adopts_root) || found.flux_bootstrap.is_some();
    if let Some(bootstrap) = found.flux_bootstrap {
        let kustomization = bootstrap.kustomization.as_deref().map_or_else(String::new, |dir| {
            format!(", with their lines in `{dir}/kustomization.yaml`")
        });
        report.push(
            cluster,
            EntryKind::NotTranslated,
            format!(
                "the `flux bootstrap` files {} stay until cutover, then go{kustomization}: the FluxInstance creates \
                 the controllers and the `{}` objects itself; never re-apply them while it manages the controllers",
                bootstrap
                    .gotk_files()
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                found.root.map_or(bootstrap.namespace.as_str(), |r| r.name.as_str()),
            ),
            found.root.map(|r| &r.at),
        );
    } else if let Some(root) = found.root {
        let message = if adopts_root {
            format!(
                "the root Kustomization `{}` (applies {}) is adopted by the FluxInstance where it is: at cutover \
                 delete only its own definition and its GitRepository's from `{}` (the FluxInstance creates both)",
                root.name,
                root.path.as_deref().unwrap_or("?"),
                root.at.file
            )
        } else {
            let staying: Vec<String> = found.staying_roots.iter().map(|n| format!("`{n}`")).collect();
            format!(
                "the root Kustomization `{}` (applies {}) retires at cutover: move what stays ({}the cluster \
                 variables) to the sync directory, and set `prune: false` on `{}` before deleting it",
                root.name,
                root.path.as_deref().unwrap_or("?"),
                if staying.is_empty() {
                    String::new()
                } else {
                    format!("the root Kustomizations {}, ", staying.join(", "))
                },
                root.name
            )
        };
        report.push(cluster, EntryKind::NotTranslated, message, Some(&root.at));
    }
    if let Some(source) = found.source {
        if source.ignore.is_some() {
            report.push(
                cluster,
                EntryKind::NotTranslated,
                format!(
                    "GitRepository `{}` has `spec.ignore` (fetches only part of the repository): a FluxInstance sync \
                     cannot express it, so the adopted GitRepository fetches the whole repository",
                    source.name
                ),
                Some(&source.at),
            );
        }
        let sync_interval = Some(settings.instance.sync.interval.to_string());
        // The `flux bootstrap` import keeps the Kustomization's own interval with a patch.
        if let Some(root) = found.root.filter(|_| found.flux_bootstrap.is_none())
            && let (Some(root_interval), Some(sync_interval)) = (&root.interval, &sync_interval)
            && root_interval != sync_interval
        {
            report.push(
                cluster,
                EntryKind::Warning,
                format!(
                    "`{}` reconciles every {root_interval} and GitRepository `{}` every {sync_interval}; the \
                     FluxInstance uses one interval for both: {sync_interval}",
                    root.name, source.name
                ),
                Some(&root.at),
            );
        }
    }
    for receiver in repository.receivers.iter().filter(|r| inside(&r.at.file, &found.dir)) {
        let names: Vec<String> = receiver
            .resources
            .iter()
            .map(|r| format!("{} {}", r.kind, r.name))
            .collect();
        let root_named = found.root.is_some_and(|root| {
            receiver
                .resources
                .iter()
                .any(|r| r.kind == "Kustomization" && r.name == root.name)
        });
        let mut message = format!(
            "Receiver `{}` ({}, token Secret `{}`) stays as it is: it calls {}",
            receiver.name,
            receiver.receiver_type,
            receiver.secret_ref.as_deref().unwrap_or("?"),
            names.join(", ")
        );
        if root_named && !adopts_root {
            message.push_str(&format!(
                "; `{}` goes away at cutover, so point that entry at the sync Kustomization `{}`",
                found.root.map(|r| r.name.as_str()).unwrap_or_default(),
                settings.instance.sync.name
            ));
        }
        message.push_str(
            ". fluxgen can generate the Receiver instead (`webhook: {provider, token: {externalSecret | secret}}`), \
             which changes the webhook URL",
        );
        report.push(cluster, EntryKind::NotTranslated, message, Some(&receiver.at));
    }
    if let Some(root) = found.root {
        for alert in repository.alerts.iter().filter(|a| inside(&a.at.file, &found.dir)) {
            if alert
                .event_sources
                .iter()
                .any(|s| s.kind == "Kustomization" && s.name == root.name)
            {
                report.push(
                    cluster,
                    EntryKind::NotTranslated,
                    format!(
                        "Alert `{}` watches Kustomization `{}`, which goes away at cutover",
                        alert.name, root.name
                    ),
                    Some(&alert.at),
                );
            }
        }
    }
    let sops: Vec<&str> = repository
        .sops_files
        .iter()
        .map(|s| s.file.as_str())
        .filter(|f| inside(f, &found.dir))
        .collect();
    if !sops.is_empty() {
        report.push(
            cluster,
            EntryKind::NotTranslated,
            format!(
                "{} SOPS-encrypted file(s) stay as they are and are never read ({}): the Kustomizations that apply \
                 them keep their `decryption`, and the sync Kustomization decrypts where the root one did \
                 (`tuning.syncKustomization.decryptionSecret`)",
                sops.len(),
                sops.join(", ")
            ),
            None,
        );
    }
}
