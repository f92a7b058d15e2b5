//! The risks doctor looks for, one function each, over the clusters of a repository. The
//! controller and CRD managers are in `controllers`, the sync path and root names in `sync`,
//! strict substitution in `substitution`; the ownership graph's own findings (two owners,
//! cycles, missing paths), the External Secrets baseline, sequencing, phase consistency and
//! what the scanner could not read are here.

use std::collections::{BTreeSet, HashMap};

use super::clusters::{Scope, inside};
use super::manifests::Manifests;
use super::ownership::{Origin, Ownership};
use super::{Code, Finding, Related, Severity, controllers, substitution, sync};
use crate::config::{Config, Phase};
use crate::scan::{Chart, NoteKind, Repository};

/// Everything a risk reads.
pub(super) struct Context<'a> {
    pub(super) repository: &'a Repository,
    pub(super) config: Option<&'a Config>,
    /// `fluxgen.yaml` as findings name it.
    pub(super) config_file: Option<String>,
    pub(super) scopes: &'a [Scope<'a>],
    pub(super) graph: &'a Ownership,
    pub(super) manifests: &'a Manifests,
}

impl Context<'_> {
    /// The file a config-derived finding points at.
    pub(super) fn config_name(&self) -> String {
        self.config_file.clone().unwrap_or_else(|| "fluxgen.yaml".to_owned())
    }
}

impl Finding {
    /// A finding of `code` about `file:line` in a cluster; what, why and fix follow.
    pub(super) fn new(code: Code, severity: Severity, scope: &Scope, file: &str, line: Option<u32>) -> Self {
        Finding {
            severity,
            code,
            cluster: scope.name.clone(),
            file: file.to_owned(),
            line,
            what: String::new(),
            why: String::new(),
            fix: String::new(),
            related: Vec::new(),
        }
    }

    pub(super) fn what(mut self, what: impl Into<String>) -> Self {
        self.what = what.into();
        self
    }

    pub(super) fn why(mut self, why: impl Into<String>) -> Self {
        self.why = why.into();
        self
    }

    pub(super) fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    /// Adds a related file.
    pub(super) fn see(mut self, file: &str, line: Option<u32>, note: impl Into<String>) -> Self {
        let related = Related {
            file: file.to_owned(),
            line,
            note: note.into(),
        };
        if !self.related.contains(&related) {
            self.related.push(related);
        }
        self
    }
}

/// The severity for a cluster's phase: before the FluxInstance (`prepare`, `operator`, or no
/// phase), at `instance`, and from `cutover` on.
pub(super) fn by_phase(phase: Option<Phase>, before: Severity, instance: Severity, after: Severity) -> Severity {
    match phase {
        None | Some(Phase::Prepare | Phase::Operator) => before,
        Some(Phase::Instance) => instance,
        Some(Phase::Cutover | Phase::Complete) => after,
    }
}

/// ``phase `x` `` for messages, with where it comes from.
pub(super) fn phase_words(scope: &Scope) -> String {
    match scope.phase {
        Some(phase) => match scope.phase_source {
            super::PhaseSource::Config => format!("phase `{phase}` in fluxgen.yaml"),
            _ => format!("inferred phase `{phase}`"),
        },
        None => "no known phase".to_owned(),
    }
}

/// Every finding of every risk.
pub(super) fn all(context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for scope in context.scopes {
        findings.extend(controllers::double_managed_controllers(context, scope));
        findings.extend(controllers::crd_managers(context, scope));
        findings.extend(controllers::instance_prune(context, scope));
        findings.extend(controllers::root_prune(context, scope));
        findings.extend(sync::sync_path(context, scope));
        findings.extend(sync::root_names(context, scope));
        findings.extend(sync::sops_on_sync_path(context, scope));
        findings.extend(substitution::strict_substitution(context, scope));
        findings.extend(external_secrets_baseline(context, scope));
        findings.extend(sequencing(context, scope));
        findings.extend(applied_twice(context, scope));
        findings.extend(depends_on_cycles(context, scope));
        findings.extend(phase_mismatch(context, scope));
    }
    findings.extend(ownership_cycles(context));
    findings.extend(missing_paths(context));
    findings.extend(scanner_notes(context));
    findings
}

/// The scope a file belongs to by its directories (or the first that applies it), for
/// findings that are not about one cluster's migration.
fn scope_of<'a>(context: &'a Context, file: &str) -> Option<&'a Scope<'a>> {
    context
        .scopes
        .iter()
        .filter(|s| s.roots.iter().any(|r| inside(file, r)))
        .max_by_key(|s| s.roots.iter().filter(|r| inside(file, r)).map(|r| r.len()).max())
        .or_else(|| context.scopes.iter().find(|s| s.contains(file)))
}

/// A finding about a file whose cluster comes from where the file is.
fn located(context: &Context, code: Code, severity: Severity, file: &str, line: Option<u32>) -> Finding {
    let cluster = scope_of(context, file).and_then(|s| s.name.clone());
    Finding {
        severity,
        code,
        cluster,
        file: file.to_owned(),
        line,
        what: String::new(),
        why: String::new(),
        fix: String::new(),
        related: Vec::new(),
    }
}

/// External Secrets baseline: a webhook token that comes from an ExternalSecret, in a cluster
/// with no External Secrets app or no matching ClusterSecretStore.
fn external_secrets_baseline(context: &Context, scope: &Scope) -> Vec<Finding> {
    let repository = context.repository;
    // (store kind, store name, where the need comes from)
    let mut needs: Vec<(String, String, String, Option<u32>, String)> = Vec::new();
    if let Some(cluster) = scope.cluster
        && cluster.settings.webhook.provider != crate::config::WebhookProvider::None
        && let Some(source) = &cluster.settings.webhook.token.external_secret
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
    for object in repository
        .objects
        .iter()
        .filter(|o| o.kind == "ExternalSecret" && scope.contains(&o.at.file))
    {
        let Some(secret) = context.manifests.external_secret(&object.at.file, object.at.line) else {
            continue;
        };
        if receiver_secrets.contains(secret.target.as_str()) {
            needs.push((
                secret.store_kind,
                secret.store,
                object.at.file.clone(),
                Some(object.at.line),
                format!("the ExternalSecret `{}` writes the Receiver's token `{}`", secret.name, secret.target),
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
                format!("add the {kind} `{store}` to {}, or point the ExternalSecret at a store it has", scope.label()),
            ),
        };
        let mut finding = Finding::new(Code::ExternalSecretsBaseline, Severity::Warning, scope, &file, line)
            .what(what)
            .why(
                "without the ExternalSecret CRD the Kustomization that applies it fails as a whole (the \
                 FluxInstance in it is never updated), and without the store the Receiver has no token: \
                 pushes wait for the next interval",
            )
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
fn external_secrets_app(context: &Context, scope: &Scope) -> Option<(String, u32)> {
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
            k.name.starts_with("external-secrets") || k.depends_on.iter().any(|d| d.name.starts_with("external-secrets"))
        })
        .map(|k| (k.at.file.clone(), k.at.line))
}

/// Sequencing: signs that a large `chartRef` migration is under way in the cluster.
fn sequencing(context: &Context, scope: &Scope) -> Vec<Finding> {
    let releases: Vec<_> = context
        .repository
        .helm_releases
        .iter()
        .filter(|r| scope.contains(&r.at.file))
        .collect();
    let spec: Vec<_> = releases
        .iter()
        .filter(|r| matches!(r.chart, Chart::Spec { .. }))
        .collect();
    let reference: Vec<_> = releases.iter().filter(|r| matches!(r.chart, Chart::Ref(_))).collect();
    if spec.is_empty() || reference.is_empty() {
        return Vec::new();
    }
    let migrating = matches!(scope.phase, Some(Phase::Operator | Phase::Instance | Phase::Cutover));
    let severity = if migrating { Severity::Warning } else { Severity::Info };
    let first = spec[0];
    let mut finding = Finding::new(Code::Sequencing, severity, scope, &first.at.file, Some(first.at.line))
        .what(format!(
            "{} of the {} HelmReleases in {} use `chart.spec` and {} use `chartRef`: a chartRef migration \
             looks under way",
            spec.len(),
            releases.len(),
            scope.label(),
            reference.len()
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
    for release in reference.iter().take(10) {
        finding = finding.see(&release.at.file, Some(release.at.line), "uses `chartRef`");
    }
    vec![finding]
}

/// Two Kustomizations of one cluster applying the same directory or Flux objects (the
/// FluxInstance's sync is `sync-path-overlap`).
fn applied_twice(context: &Context, scope: &Scope) -> Vec<Finding> {
    let graph = context.graph;
    let mut findings = Vec::new();
    let mut reported = BTreeSet::new();
    for &index in &scope.nodes {
        let node = &graph.nodes[index];
        let (Origin::Kustomization(_), Some(dir)) = (node.origin, &node.dir) else {
            continue;
        };
        for (other, overlap) in graph.overlapping(dir, &node.build, Some(index)) {
            let other_node = &graph.nodes[other];
            if !scope.nodes.contains(&other) || !matches!(other_node.origin, Origin::Kustomization(_)) {
                continue;
            }
            // A Kustomization that applies its own definition (a self-managed root) and the
            // Kustomizations below it are a tree, not two owners.
            let pair = (index.min(other), index.max(other));
            if !reported.insert(pair) {
                continue;
            }
            let (first, second) = (&graph.nodes[pair.0], &graph.nodes[pair.1]);
            findings.push(
                Finding::new(Code::AppliedTwice, Severity::Warning, scope, &node.at.file, Some(node.at.line))
                    .what(format!(
                        "Kustomizations `{}` and `{}` apply the same objects: {}",
                        first.name,
                        second.name,
                        overlap.describe()
                    ))
                    .why(
                        "two Kustomizations owning one object overwrite each other's changes and labels, and \
                         when either is deleted or stops listing the object, its prune deletes it while the \
                         other still applies it",
                    )
                    .fix("keep one owner: narrow one Kustomization's path, or move the shared files under one of them")
                    .see(&other_node.at.file, Some(other_node.at.line), format!("Kustomization `{}`", other_node.name)),
            );
        }
    }
    findings
}

/// Flux Kustomizations that apply each other (a self-managed root applying itself is fine),
/// and kustomize resource cycles.
fn ownership_cycles(context: &Context) -> Vec<Finding> {
    let graph = context.graph;
    let mut findings = Vec::new();
    // Kustomizations applying each other: strongly connected components of more than one.
    let edges: Vec<Vec<usize>> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| n.applies.iter().copied().filter(|&j| j != i).collect())
        .collect();
    for component in strongly_connected(&edges).into_iter().filter(|c| c.len() > 1) {
        let first = &graph.nodes[component[0]];
        let names: Vec<String> = component.iter().map(|&i| format!("`{}`", graph.nodes[i].name)).collect();
        let mut finding = located(
            context,
            Code::OwnershipCycle,
            Severity::Error,
            &first.at.file,
            Some(first.at.line),
        )
        .what(format!("the Kustomizations {} apply each other", names.join(", ")))
        .why("none of them can be removed without the others pruning it back or away, and each prune can delete the others")
        .fix("make one of them the only parent: remove the back reference from its path");
        for &i in &component[1..] {
            let node = &graph.nodes[i];
            finding = finding.see(&node.at.file, Some(node.at.line), format!("Kustomization `{}`", node.name));
        }
        findings.push(finding);
    }
    // kustomize resource cycles, once per set of directories.
    let mut seen = BTreeSet::new();
    for node in &graph.nodes {
        for cycle in &node.build.cycles {
            let mut key: Vec<String> = cycle.clone();
            key.pop();
            key.sort();
            if !seen.insert(key) {
                continue;
            }
            let file = context
                .repository
                .kustomize_files
                .get(&cycle[0])
                .map_or_else(|| cycle[0].clone(), |k| k.at.file.clone());
            findings.push(
                located(context, Code::OwnershipCycle, Severity::Error, &file, None)
                    .what(format!("kustomize resources form a cycle: {}", cycle.join(" → ")))
                    .why("kustomize refuses a cycle: every Kustomization that builds one of these directories fails")
                    .fix("remove one of the `resources` entries on the cycle"),
            );
        }
    }
    findings
}

/// `dependsOn` cycles among one cluster's Kustomizations.
fn depends_on_cycles(context: &Context, scope: &Scope) -> Vec<Finding> {
    let repository = context.repository;
    let kustomizations: Vec<usize> = scope
        .nodes
        .iter()
        .filter_map(|&n| match context.graph.nodes[n].origin {
            Origin::Kustomization(k) => Some(k),
            Origin::Sync(_) => None,
        })
        .collect();
    let key = |name: &str, namespace: Option<&str>| format!("{}/{name}", namespace.unwrap_or("flux-system"));
    let index: HashMap<String, usize> = kustomizations
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let k = &repository.kustomizations[k];
            (key(&k.name, k.namespace.as_deref()), i)
        })
        .collect();
    let edges: Vec<Vec<usize>> = kustomizations
        .iter()
        .map(|&k| {
            let k = &repository.kustomizations[k];
            k.depends_on
                .iter()
                .filter_map(|d| index.get(&key(&d.name, d.namespace.as_deref().or(k.namespace.as_deref()))))
                .copied()
                .collect()
        })
        .collect();
    let mut findings = Vec::new();
    for component in strongly_connected(&edges) {
        let cyclic = component.len() > 1 || edges[component[0]].contains(&component[0]);
        if !cyclic {
            continue;
        }
        let members: Vec<_> = component.iter().map(|&i| &repository.kustomizations[kustomizations[i]]).collect();
        let names: Vec<String> = members.iter().map(|k| format!("`{}`", k.name)).collect();
        let mut finding = Finding::new(
            Code::OwnershipCycle,
            Severity::Error,
            scope,
            &members[0].at.file,
            Some(members[0].at.line),
        )
        .what(format!("`dependsOn` forms a cycle: {}", names.join(" → ")))
        .why("each waits for another to be ready first: none of them is ever applied")
        .fix("remove one `dependsOn` entry of the cycle");
        for member in &members[1..] {
            finding = finding.see(&member.at.file, Some(member.at.line), format!("Kustomization `{}`", member.name));
        }
        findings.push(finding);
    }
    findings
}

/// Tarjan's strongly connected components, each sorted.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    fn connect(state: &mut State, v: usize) {
        state.index[v] = Some(state.next);
        state.low[v] = state.next;
        state.next += 1;
        state.stack.push(v);
        state.on_stack[v] = true;
        for &w in &state.edges[v] {
            match state.index[w] {
                None => {
                    connect(state, w);
                    state.low[v] = state.low[v].min(state.low[w]);
                }
                Some(index) if state.on_stack[w] => state.low[v] = state.low[v].min(index),
                Some(_) => {}
            }
        }
        if Some(state.low[v]) == state.index[v] {
            let mut component = Vec::new();
            while let Some(w) = state.stack.pop() {
                state.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            component.sort();
            state.found.push(component);
        }
    }
    let count = edges.len();
    let mut state = State {
        edges,
        index: vec![None; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in 0..count {
        if state.index[v].is_none() {
            connect(&mut state, v);
        }
    }
    state.found.sort();
    state.found
}

/// Paths that do not exist: a Flux Kustomization's `path` (of this repository's source), and
/// `kustomization.yaml` entries (from the scanner's notes), and directories listed as
/// resources that have no kustomization.
fn missing_paths(context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for node in &context.graph.nodes {
        let (Origin::Kustomization(_), Some(dir), false) = (node.origin, &node.dir, node.exists) else {
            continue;
        };
        findings.push(
            located(context, Code::MissingPath, Severity::Warning, &node.at.file, Some(node.at.line))
                .what(format!(
                    "Kustomization `{}` applies `./{dir}`, which does not exist in the repository",
                    node.name
                ))
                .why("kustomize-controller fails it with \"kustomization path not found\": nothing below it is applied or updated")
                .fix("fix `spec.path`, or add the directory"),
        );
    }
    for note in context.repository.notes.iter().filter(|n| n.kind == NoteKind::MissingPath) {
        findings.push(
            located(context, Code::MissingPath, Severity::Warning, &note.file, note.line)
                .what(note.message.clone())
                .why("kustomize fails the build: every Kustomization that builds this directory fails as a whole")
                .fix("fix or remove the entry"),
        );
    }
    let mut seen = BTreeSet::new();
    for node in &context.graph.nodes {
        for (file, line, dir) in &node.build.unbuildable {
            if !seen.insert((file.clone(), *line)) {
                continue;
            }
            findings.push(
                located(context, Code::MissingPath, Severity::Warning, file, Some(*line))
                    .what(format!("`resources` lists the directory `{dir}`, which has no kustomization.yaml"))
                    .why("kustomize can only build a directory with a kustomization: the build fails")
                    .fix(format!("add `{dir}/kustomization.yaml` listing its files, or list the files themselves")),
            );
        }
    }
    findings
}

/// The phase in `fluxgen.yaml` against what the repository holds.
fn phase_mismatch(context: &Context, scope: &Scope) -> Vec<Finding> {
    let (Some(cluster), Some(phase)) = (scope.cluster, scope.phase) else {
        return Vec::new();
    };
    let repository = context.repository;
    let config = context.config_name();
    let mut findings = Vec::new();
    let instance = scope.instances.first().map(|&i| &repository.flux_instances[i]);
    if phase >= Phase::Instance && instance.is_none() {
        findings.push(
            Finding::new(Code::PhaseMismatch, Severity::Warning, scope, &config, None)
                .what(format!(
                    "fluxgen.yaml puts {} at phase `{phase}`, but the repository has no FluxInstance for it",
                    scope.label()
                ))
                .why("the phase says the FluxInstance manages the controllers; without it nothing will once the old install goes")
                .fix(format!("run `fluxgen emit {}` and commit the flux-instance app, or set the phase back", cluster.name)),
        );
    }
    if phase < Phase::Instance
        && let Some(instance) = instance
    {
        findings.push(
            Finding::new(Code::PhaseMismatch, Severity::Warning, scope, &config, None)
                .what(format!(
                    "fluxgen.yaml puts {} at phase `{phase}`, but the repository already has its FluxInstance",
                    scope.label()
                ))
                .why("doctor judges the cluster by its phase: risks of the instance phase are reported as if it had not started")
                .fix("set the phase to `instance` (or later) in fluxgen.yaml")
                .see(&instance.at.file, Some(instance.at.line), "the FluxInstance"),
        );
    }
    findings
}

/// What the scanner could not read: templates (one finding for all), malformed YAML and
/// unreadable files.
fn scanner_notes(context: &Context) -> Vec<Finding> {
    let notes = &context.repository.notes;
    let mut findings = Vec::new();
    let templates: Vec<_> = notes.iter().filter(|n| n.kind == NoteKind::Template).collect();
    if let Some(first) = templates.first() {
        let mut finding = located(context, Code::TemplatesSkipped, Severity::Info, &first.file, first.line)
            .what(format!(
                "{} template file(s) were not scanned ({})",
                templates.len(),
                first.message
            ))
            .why("doctor judges the YAML in the repository; what templates render is not in it")
            .fix("render the templates (e.g. `task configure`) and run doctor on the result");
        for note in templates.iter().skip(1).take(20) {
            finding = finding.see(&note.file, note.line, "a template");
        }
        findings.push(finding);
    }
    for note in notes {
        let (code, severity, why) = match note.kind {
            NoteKind::Malformed => (
                Code::MalformedYaml,
                Severity::Warning,
                "kustomize-controller fails to build the Kustomization that applies this file",
            ),
            NoteKind::Unreadable | NoteKind::NotYaml | NoteKind::Symlink => (
                Code::UnreadableFile,
                Severity::Info,
                "doctor could not read it: its objects are not part of the findings",
            ),
            _ => continue,
        };
        findings.push(
            located(context, code, severity, &note.file, note.line)
                .what(note.message.clone())
                .why(why)
                .fix(match code {
                    Code::MalformedYaml => "fix the YAML (yamllint shows where)",
                    _ => "check the file's permissions and content",
                }),
        );
    }
    findings
}
