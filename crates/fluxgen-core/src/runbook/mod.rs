//! `fluxgen plan`: the migration runbook of a cluster's current phase, as Markdown, concrete to
//! the repository (its paths, names and what is found there), rendered from the templates in
//! the crate's `templates/` directory (inside the crate, so the published crate carries them).
//!
//! Two layouts, one template per phase each: the GOTK-era layouts (`plan/<phase>.md.j2`: a
//! bootstrap kustomization, a root Kustomization that retires, a dedicated sync directory) and
//! the layout `flux bootstrap` writes (`plan/bootstrap-<phase>.md.j2`: the Flux Operator's
//! migration guide, flux-operator `docs/guides/operator/operator-migration.md`, made concrete:
//! the FluxInstance adopts `flux-system` in place and the cutover deletes the gotk files).

mod findings;

use std::path::Path;

use minijinja::value::Serde;
use minijinja::{Environment, syntax::SyntaxConfig};
use serde::Serialize;

use crate::config::{Config, InstanceMode, Phase, TokenSource};
use crate::scan::sync_decision::refuse_repointing;
use crate::{Error, emit::IndexFile};
pub(crate) use findings::find;
pub use findings::{CutoverSteps, Findings};

const TEMPLATES: [(&str, &str); 15] = [
    ("plan.md.j2", include_str!("../../templates/plan.md.j2")),
    ("plan/verify.md.j2", include_str!("../../templates/plan/verify.md.j2")),
    ("plan/prepare.md.j2", include_str!("../../templates/plan/prepare.md.j2")),
    (
        "plan/operator.md.j2",
        include_str!("../../templates/plan/operator.md.j2"),
    ),
    (
        "plan/instance.md.j2",
        include_str!("../../templates/plan/instance.md.j2"),
    ),
    ("plan/cutover.md.j2", include_str!("../../templates/plan/cutover.md.j2")),
    (
        "plan/complete.md.j2",
        include_str!("../../templates/plan/complete.md.j2"),
    ),
    (
        "plan/rollback.md.j2",
        include_str!("../../templates/plan/rollback.md.j2"),
    ),
    ("plan/rebuild.md.j2", include_str!("../../templates/plan/rebuild.md.j2")),
    // The `flux bootstrap` layout: the operator migration guide's steps.
    (
        "plan/bootstrap-rollback.md.j2",
        include_str!("../../templates/plan/bootstrap-rollback.md.j2"),
    ),
    (
        "plan/bootstrap-prepare.md.j2",
        include_str!("../../templates/plan/bootstrap-prepare.md.j2"),
    ),
    (
        "plan/bootstrap-operator.md.j2",
        include_str!("../../templates/plan/bootstrap-operator.md.j2"),
    ),
    (
        "plan/bootstrap-instance.md.j2",
        include_str!("../../templates/plan/bootstrap-instance.md.j2"),
    ),
    (
        "plan/bootstrap-cutover.md.j2",
        include_str!("../../templates/plan/bootstrap-cutover.md.j2"),
    ),
    (
        "plan/bootstrap-complete.md.j2",
        include_str!("../../templates/plan/bootstrap-complete.md.j2"),
    ),
];

/// What the templates see.
#[derive(Serialize)]
struct Context<'a> {
    cluster: &'a str,
    phase: &'static str,
    phase_index: usize,
    next_phase: Option<&'static str>,
    repository: RepositoryView<'a>,
    rollout: Vec<RolloutEntry>,
    next_cluster: Option<RolloutEntry>,
    namespace: &'a str,
    apps_dir: &'a str,
    index_file: String,
    index_lines_missing: Vec<String>,
    operator_files: Vec<String>,
    instance_files: Vec<String>,
    sync: SyncView<'a>,
    flux_version: &'a str,
    operator_version: &'a str,
    mode: &'static str,
    webhook: Option<WebhookView>,
    repo_root: String,
    sync_inherits_root: bool,
    rebuild: RebuildView<'a>,
    #[serde(flatten)]
    findings: Findings,
}

#[derive(Serialize)]
struct RepositoryView<'a> {
    url: &'a str,
    reference: &'a str,
}

#[derive(Clone, Serialize)]
struct RolloutEntry {
    name: String,
    phase: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct SyncView<'a> {
    name: &'a str,
    path: &'a str,
    overlaps: bool,
}

/// What a fresh cluster needs before the FluxInstance's sync can apply: the Secrets it reads
/// and the variables its Kustomization substitutes.
#[derive(Serialize)]
struct RebuildView<'a> {
    pull_secret: Option<&'a str>,
    decryption_secret: Option<&'a str>,
    /// `(kind, name)` of each `substituteFrom` that is not optional.
    required_variables: Vec<(String, String)>,
    /// The instance disables the Flux NetworkPolicies (`cluster.networkPolicy: false`).
    network_policies_off: bool,
}

#[derive(Serialize)]
struct WebhookView {
    store: Option<String>,
    secret: Option<String>,
    store_found: bool,
    store_file: Option<String>,
}

const PHASES: [Phase; 5] = [
    Phase::Prepare,
    Phase::Operator,
    Phase::Instance,
    Phase::Cutover,
    Phase::Complete,
];

/// What the runbook of `cluster` reads from the repository at `repo_root`, as data: the same
/// layout, roots and sync decision `doctor` uses, and the cutover's file changes
/// ([`CutoverSteps`]). Refused like [`runbook`] when the sync would repoint a root.
pub fn runbook_findings(config: &Config, cluster: &str, repo_root: &Path) -> Result<Findings, Error> {
    crate::config::validate_for_use(config)?;
    let this = config.cluster(cluster).ok_or_else(|| Error::UnknownCluster {
        name: cluster.to_owned(),
        origin: config.origin.to_string(),
        known: config.clusters.keys().cloned().collect(),
    })?;
    let repository = crate::scan::scan(repo_root).unwrap_or_default();
    refuse_repointing(&repository, config, &[cluster.to_owned()])?;
    Ok(find(&repository, config, this))
}

/// Renders the runbook of `cluster`'s current phase, checking the repository at `repo_root`
/// (the directory `path`s are relative to).
///
/// ```
/// let config = fluxgen_core::Config::example();
/// let runbook = fluxgen_core::runbook(&config, "edge", std::path::Path::new("."))?;
/// assert!(runbook.starts_with("# Flux Operator migration: `edge` at phase `instance`"));
/// assert!(runbook.contains("flux --context edge check"));
/// # Ok::<(), fluxgen_core::Error>(())
/// ```
pub fn runbook(config: &Config, cluster: &str, repo_root: &Path) -> Result<String, Error> {
    let tree = crate::plan(config, cluster)?;
    let this = &config.clusters[cluster];
    let settings = &this.settings;
    // A repository that cannot be read is reported as not found: the runbook still renders.
    let repository = crate::scan::scan(repo_root).unwrap_or_default();
    refuse_repointing(&repository, config, &[cluster.to_owned()])?;
    let findings = find(&repository, config, this);
    let phase_index = PHASES.iter().position(|p| *p == this.phase).unwrap_or_default();
    let order: Vec<String> = if config.rollout.is_empty() {
        config.clusters.keys().cloned().collect()
    } else {
        config.rollout.clone()
    };
    let rollout: Vec<RolloutEntry> = order
        .iter()
        .filter_map(|name| config.clusters.get(name))
        .map(|c| RolloutEntry {
            name: c.name.clone(),
            phase: c.phase.as_str(),
            current: c.name == cluster,
        })
        .collect();
    let next_cluster = rollout.iter().skip_while(|c| !c.current).nth(1).cloned();
    // The files of each app, listed for the phase that adds them, whatever the current phase.
    let mut at_instance = config.clone();
    if let Some(c) = at_instance.clusters.get_mut(cluster) {
        c.phase = Phase::Instance;
    }
    // Checked above (`plan` of the config itself); at phase `instance` this cluster may lead
    // the rollout, which the rules of a file refuse but the listing does not care for.
    let at_instance = crate::emit::plan_unchecked(&at_instance, cluster).ok();
    let in_dir = |app: &str| -> Vec<String> {
        at_instance.as_ref().map_or_else(Vec::new, |t| {
            t.files
                .keys()
                .filter(|p| p.starts_with(app))
                .map(|p| format!("{}/{p}", t.root))
                .collect()
        })
    };
    let index_file = format!("{}/{}", settings.path, IndexFile::PATH);
    let index_lines_missing = missing_index_lines(&repo_root.join(&index_file), &tree.index.entries);
    let webhook = settings.webhook.provider.receiver_type().map(|_| {
        let store = settings
            .webhook
            .token
            .as_ref()
            .and_then(TokenSource::external_secret)
            .map(|e| e.store.clone());
        let store_file = store
            .as_ref()
            .and_then(|s| findings::cluster_secret_store(&repository, s));
        WebhookView {
            store_found: store_file.is_some(),
            store,
            secret: settings
                .webhook
                .token
                .as_ref()
                .and_then(TokenSource::secret)
                .map(str::to_owned),
            store_file,
        }
    });
    let overlaps = findings.sync_overlaps;
    let wanted = settings.tuning.sync_kustomization.as_ref();
    let sync_inherits_root = findings
        .root_decryption
        .as_ref()
        .is_none_or(|secret| wanted.and_then(|w| w.decryption_secret.as_ref()) == Some(secret))
        && findings.root_substitute_from.iter().all(|item| {
            wanted.is_some_and(|w| {
                w.substitute_from
                    .iter()
                    .any(|s| item == &format!("`{:?}/{}`", s.kind, s.name))
            })
        });
    let context = Context {
        cluster,
        phase: this.phase.as_str(),
        phase_index,
        next_phase: PHASES.get(phase_index + 1).map(|p| p.as_str()),
        repository: RepositoryView {
            url: &config.repository.url,
            reference: &config.repository.reference,
        },
        rollout,
        next_cluster,
        namespace: &settings.namespace,
        apps_dir: &settings.path,
        index_file,
        index_lines_missing,
        operator_files: in_dir("flux-operator/"),
        instance_files: in_dir("flux-instance/"),
        sync: SyncView {
            name: &settings.instance.sync.name,
            path: &settings.instance.sync.path,
            overlaps,
        },
        flux_version: &settings.instance.distribution.version,
        operator_version: &settings.operator.version,
        mode: match settings.instance.mode {
            InstanceMode::Helmrelease => "helmrelease",
            InstanceMode::Manifest => "manifest",
        },
        webhook,
        repo_root: repo_root.display().to_string(),
        sync_inherits_root,
        rebuild: RebuildView {
            pull_secret: config.repository.pull_secret.as_deref(),
            decryption_secret: wanted.and_then(|w| w.decryption_secret.as_deref()),
            required_variables: wanted
                .map(|w| {
                    w.substitute_from
                        .iter()
                        .filter(|s| !s.optional)
                        .map(|s| (format!("{:?}", s.kind), s.name.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            network_policies_off: settings.instance.cluster.network_policy == Some(false),
        },
        findings,
    };
    render(&context).map_err(|reason| Error::Runbook {
        cluster: cluster.to_owned(),
        reason,
    })
}

fn render(context: &Context<'_>) -> Result<String, String> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| e.to_string())?;
    env.set_syntax(syntax);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(|e| e.to_string())?;
    }
    let text = env
        .get_template("plan.md.j2")
        .and_then(|t| t.render(Serde(context)))
        .map_err(|e| {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        })?;
    Ok(tidy(&text))
}

/// At most one blank line in a row, and a single newline at the end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_owned() + "\n"
}

/// The index entries a user-owned namespace `kustomization.yaml` lacks (none when the file is
/// absent or generated: fluxgen writes it then).
fn missing_index_lines(path: &Path, entries: &[String]) -> Vec<String> {
    let Some(text) = IndexFile::read_at(path) else {
        return Vec::new();
    };
    if crate::emit::is_generated(&text) {
        return Vec::new();
    }
    entries
        .iter()
        .filter(|entry| !IndexFile::lists(&text, entry))
        .cloned()
        .collect()
}
