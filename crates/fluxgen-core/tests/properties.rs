//! Properties over random valid configs (proptest; `PROPTEST_CASES` cases, 64 by default):
//!
//! - every emitted file parses back, and what it holds is the model the config describes: the
//!   FluxInstance spec (in the HelmRelease's `values.instance`, or the plain manifest) equals
//!   the spec built with the library's public types from the generated model, its patches
//!   being [`lower`] of the tunings the model names; the apps, the chart tag, the webhook and
//!   the files of each phase are checked the same way;
//! - planning twice, or loading the text twice, gives the same bytes;
//! - the order of tuning keys, of feature gates and of cluster entries does not change a byte;
//! - every emitted document passes its CRD schema (the HelmRelease values too: against the
//!   FluxInstance spec schema and the charts' `values.schema.json`).
//!
//! A config is generated as a typed [`Model`] and written as YAML text in a chosen key order.

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fluxgen_core::{
    Component, Config, FluxInstance, Origin, Phase, Tree, Tuning, facts, lower, objects::InstanceSync,
    objects::KustomizePatch, plan, tuning::LogLevel,
};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Value, json};
use support::document;
use support::schema::{Chart, Crds};

const SCALING: [Component; 3] = [
    Component::SourceController,
    Component::KustomizeController,
    Component::HelmController,
];
const OPTIONAL: [Component; 4] = [
    Component::NotificationController,
    Component::ImageReflectorController,
    Component::ImageAutomationController,
    Component::SourceWatcher,
];
const DURATIONS: [&str; 8] = ["5s", "30s", "1m", "5m", "1h", "1h30m", "500ms", "2m30s"];
const QUANTITIES: [&str; 5] = ["512Mi", "1Gi", "2Gi", "1500Mi", "3G"];
const LEVELS: [LogLevel; 4] = [LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Error];

/// How the FluxInstance is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    HelmRelease,
    Manifest,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::HelmRelease => "helmrelease",
            Mode::Manifest => "manifest",
        }
    }
}

/// The webhook variants.
#[derive(Clone, Debug, PartialEq)]
enum Webhook {
    None,
    /// `provider` and a `secret: <name>` token.
    Secret(&'static str, String),
    /// `provider` and an `externalSecret` token: store, key, property.
    External(&'static str, String, String, String),
}

/// The controller tuning of a config.
#[derive(Clone, Debug, Default)]
struct TuningModel {
    workers: Option<u32>,
    requeue: Option<&'static str>,
    memory: Option<&'static str>,
    log_level: Option<LogLevel>,
    in_memory_builds: bool,
    control_plane: bool,
    helm_cache: Option<(u32, &'static str, &'static str)>,
    oom_watch: Option<(u8, &'static str)>,
    gates: BTreeMap<Component, BTreeMap<&'static str, bool>>,
}

/// A cluster: its name, phase, and what its entry overrides.
#[derive(Clone, Debug)]
struct ClusterModel {
    name: String,
    phase: Phase,
    workers: Option<u32>,
    mode: Option<Mode>,
}

/// A valid config, as data.
#[derive(Clone, Debug)]
struct Model {
    url: String,
    branch: String,
    pull_secret: Option<String>,
    operator_version: String,
    flux_version: String,
    mode: Mode,
    components: Option<Vec<Component>>,
    sync_name: String,
    sync_path: &'static str,
    sync_interval: &'static str,
    tuning: TuningModel,
    webhook: Webhook,
    /// In `rollout` order: no cluster is at a later phase than one before it.
    clusters: Vec<ClusterModel>,
    write_rollout: bool,
}

impl Model {
    fn components(&self) -> Vec<Component> {
        self.components.clone().unwrap_or_else(|| Component::DEFAULTS.to_vec())
    }

    fn mode_of(&self, cluster: &ClusterModel) -> Mode {
        cluster.mode.unwrap_or(self.mode)
    }

    /// The tunings the model names for a cluster, built with the public constructors.
    fn tunings(&self, cluster: &ClusterModel) -> Vec<Tuning> {
        let tuning = &self.tuning;
        let components = self.components();
        let mut out = Vec::new();
        if let Some(workers) = cluster.workers.or(tuning.workers) {
            out.push(Tuning::workers(SCALING, workers));
        }
        if let Some(interval) = tuning.requeue {
            out.push(Tuning::requeue_dependency(SCALING, interval));
        }
        if let Some(memory) = tuning.memory {
            out.push(Tuning::memory_limit(SCALING, memory));
        }
        if tuning.in_memory_builds {
            out.push(Tuning::InMemoryBuilds);
        }
        if let Some((size, ttl, purge)) = tuning.helm_cache {
            out.push(Tuning::helm_cache(size, ttl, purge));
        }
        if let Some((threshold, interval)) = tuning.oom_watch {
            out.push(Tuning::oom_watch(threshold, interval));
        }
        for (controller, gates) in &tuning.gates {
            out.extend(
                gates
                    .iter()
                    .map(|(gate, on)| Tuning::feature_gate(*controller, *gate, *on)),
            );
        }
        if let Some(level) = tuning.log_level {
            out.push(Tuning::log_level(components.iter().copied(), level));
        }
        if tuning.control_plane {
            out.push(Tuning::control_plane_scheduling(components.iter().copied()));
        }
        out
    }

    /// The FluxInstance spec the model describes for a cluster.
    fn instance_spec(&self, cluster: &ClusterModel) -> Value {
        let patches: Vec<KustomizePatch> = lower(&self.tunings(cluster)).expect("the model's tunings lower");
        let mut instance = FluxInstance::new(self.flux_version.clone()).with_sync(InstanceSync {
            interval: Some(self.sync_interval.into()),
            name: Some(self.sync_name.clone()),
            pull_secret: self.pull_secret.clone(),
            ..InstanceSync::git(
                self.url.clone(),
                format!("refs/heads/{}", self.branch),
                self.sync_path.replace("{cluster}", &cluster.name),
            )
        });
        if let Some(components) = &self.components {
            instance = instance.with_components(components.iter().copied());
        }
        if !patches.is_empty() {
            instance = instance.with_patches(patches);
        }
        serde_json::to_value(&instance.spec).expect("a spec serializes")
    }
}

/// Key orders: each map the file writes is reversed or rotated by these.
#[derive(Clone, Copy, Debug)]
struct Order {
    tuning: usize,
    gates: usize,
    clusters: usize,
}

// --- Writing a model as YAML --------------------------------------------------------------

/// A YAML node as the test writes it.
enum Y {
    Scalar(String),
    Map(Vec<(String, Y)>),
    Flow(Vec<String>),
}

/// A string as a double-quoted scalar (JSON's quoting is YAML's).
fn quoted(text: &str) -> Y {
    Y::Scalar(serde_json::to_string(text).expect("a string serializes"))
}

fn plain(text: impl ToString) -> Y {
    Y::Scalar(text.to_string())
}

/// Rotates a list by `by` (mod its length), reversing it on odd `by`.
fn reorder<T>(mut items: Vec<T>, by: usize) -> Vec<T> {
    if items.is_empty() {
        return items;
    }
    let len = items.len();
    items.rotate_left(by % len);
    if by % 2 == 1 {
        items.reverse();
    }
    items
}

fn render(node: &Y, indent: usize, out: &mut String) {
    let Y::Map(entries) = node else {
        unreachable!("only mappings are rendered as blocks")
    };
    let pad = " ".repeat(indent);
    for (key, value) in entries {
        out.push_str(&format!(
            "{pad}{}:",
            serde_json::to_string(key).expect("a key serializes")
        ));
        match value {
            Y::Scalar(text) => out.push_str(&format!(" {text}\n")),
            Y::Flow(items) => out.push_str(&format!(" [{}]\n", items.join(", "))),
            Y::Map(children) if children.is_empty() => out.push_str(" {}\n"),
            Y::Map(_) => {
                out.push('\n');
                render(value, indent + 2, out);
            }
        }
    }
}

fn webhook_yaml(webhook: &Webhook) -> Y {
    match webhook {
        Webhook::None => Y::Map(vec![("provider".into(), quoted("none"))]),
        Webhook::Secret(provider, name) => Y::Map(vec![
            ("provider".into(), quoted(provider)),
            ("token".into(), Y::Map(vec![("secret".into(), quoted(name))])),
        ]),
        Webhook::External(provider, store, key, property) => Y::Map(vec![
            ("provider".into(), quoted(provider)),
            (
                "token".into(),
                Y::Map(vec![(
                    "externalSecret".into(),
                    Y::Map(vec![
                        ("store".into(), quoted(store)),
                        ("key".into(), quoted(key)),
                        ("property".into(), quoted(property)),
                    ]),
                )]),
            ),
        ]),
    }
}

fn tuning_yaml(tuning: &TuningModel, order: Order) -> Y {
    let mut keys: Vec<(String, Y)> = Vec::new();
    if let Some(workers) = tuning.workers {
        keys.push(("workers".into(), plain(workers)));
    }
    if let Some(requeue) = tuning.requeue {
        keys.push(("requeueDependency".into(), quoted(requeue)));
    }
    if let Some(memory) = tuning.memory {
        keys.push(("memoryLimit".into(), quoted(memory)));
    }
    if let Some(level) = tuning.log_level {
        keys.push(("logLevel".into(), quoted(level.as_str())));
    }
    if tuning.in_memory_builds {
        keys.push(("inMemoryBuilds".into(), plain(true)));
    }
    if tuning.control_plane {
        keys.push(("controlPlane".into(), plain(true)));
    }
    if let Some((size, ttl, purge)) = tuning.helm_cache {
        keys.push((
            "helmCache".into(),
            Y::Map(vec![
                ("maxSize".into(), plain(size)),
                ("ttl".into(), quoted(ttl)),
                ("purgeInterval".into(), quoted(purge)),
            ]),
        ));
    }
    if let Some((threshold, interval)) = tuning.oom_watch {
        keys.push((
            "oomWatch".into(),
            Y::Map(vec![
                ("memoryThreshold".into(), plain(threshold)),
                ("interval".into(), quoted(interval)),
            ]),
        ));
    }
    if !tuning.gates.is_empty() {
        let controllers: Vec<(String, Y)> = tuning
            .gates
            .iter()
            .map(|(controller, gates)| {
                let gates: Vec<(String, Y)> = gates.iter().map(|(g, on)| ((*g).to_owned(), plain(on))).collect();
                (controller.as_str().to_owned(), Y::Map(reorder(gates, order.gates)))
            })
            .collect();
        keys.push(("featureGates".into(), Y::Map(reorder(controllers, order.gates / 2))));
    }
    Y::Map(reorder(keys, order.tuning))
}

/// The model as `fluxgen.yaml` text, maps written in `order`.
fn to_yaml(model: &Model, order: Order) -> String {
    let mut repository = vec![
        ("url".to_owned(), quoted(&model.url)),
        ("branch".to_owned(), quoted(&model.branch)),
    ];
    if let Some(secret) = &model.pull_secret {
        repository.push(("pullSecret".into(), quoted(secret)));
    }
    let mut instance = vec![
        ("mode".to_owned(), quoted(model.mode.as_str())),
        (
            "distribution".to_owned(),
            Y::Map(vec![("version".into(), quoted(&model.flux_version))]),
        ),
        (
            "sync".to_owned(),
            Y::Map(vec![
                ("name".into(), quoted(&model.sync_name)),
                ("path".into(), quoted(model.sync_path)),
                ("interval".into(), quoted(model.sync_interval)),
            ]),
        ),
    ];
    if let Some(components) = &model.components {
        let items = components
            .iter()
            .map(|c| serde_json::to_string(c.as_str()).expect("a string serializes"))
            .collect();
        instance.push(("components".into(), Y::Flow(items)));
    }
    let defaults = vec![
        (
            "operator".to_owned(),
            Y::Map(vec![("version".into(), quoted(&model.operator_version))]),
        ),
        ("instance".to_owned(), Y::Map(instance)),
        ("tuning".to_owned(), tuning_yaml(&model.tuning, order)),
        ("webhook".to_owned(), webhook_yaml(&model.webhook)),
    ];
    let clusters: Vec<(String, Y)> = model
        .clusters
        .iter()
        .map(|c| {
            let mut entry = vec![("phase".to_owned(), quoted(c.phase.as_str()))];
            if let Some(workers) = c.workers {
                entry.push(("tuning".into(), Y::Map(vec![("workers".into(), plain(workers))])));
            }
            if let Some(mode) = c.mode {
                entry.push(("instance".into(), Y::Map(vec![("mode".into(), quoted(mode.as_str()))])));
            }
            (c.name.clone(), Y::Map(entry))
        })
        .collect();
    let mut root = vec![
        ("repository".to_owned(), Y::Map(repository)),
        ("defaults".to_owned(), Y::Map(defaults)),
        ("clusters".to_owned(), Y::Map(reorder(clusters, order.clusters))),
    ];
    if model.write_rollout {
        let names = model
            .clusters
            .iter()
            .map(|c| serde_json::to_string(&c.name).expect("a string serializes"))
            .collect();
        root.push(("rollout".into(), Y::Flow(names)));
    }
    let mut out = String::new();
    render(&Y::Map(root), 0, &mut out);
    out
}

// --- Strategies ---------------------------------------------------------------------------

fn dns_label() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9-]{0,14}[a-z0-9])?"
}

fn phase() -> impl Strategy<Value = Phase> {
    prop::sample::select(vec![
        Phase::Prepare,
        Phase::Operator,
        Phase::Instance,
        Phase::Cutover,
        Phase::Complete,
    ])
}

fn mode() -> impl Strategy<Value = Mode> {
    prop::sample::select(vec![Mode::HelmRelease, Mode::Manifest])
}

fn components() -> impl Strategy<Value = Option<Vec<Component>>> {
    prop::option::of(
        prop::sample::subsequence(OPTIONAL.to_vec(), 0..=OPTIONAL.len()).prop_flat_map(|extra| {
            let mut all = SCALING.to_vec();
            all.extend(extra);
            Just(all).prop_shuffle()
        }),
    )
}

/// Feature gates from the known lists of the enabled controllers (`OOMWatch` only without
/// `oomWatch`, which turns it on itself), in the Flux release the cluster pins.
fn gates(
    components: Vec<Component>,
    oom_watch: bool,
    release: &'static facts::Release,
) -> impl Strategy<Value = BTreeMap<Component, BTreeMap<&'static str, bool>>> {
    let per_controller: Vec<_> = components
        .into_iter()
        .map(|controller| {
            let known: Vec<&'static str> = release
                .feature_gates(controller)
                .into_iter()
                .filter(|g| !(oom_watch && *g == "OOMWatch"))
                // Set through `cluster.objectLevelWorkloadIdentity`, or ignored by the controller:
                // both refused in `featureGates`.
                .filter(|g| *g != "ObjectLevelWorkloadIdentity" && release.ignored_gate(controller, g).is_none())
                .collect();
            let most = known.len().min(3);
            (
                Just(controller),
                prop::sample::subsequence(known, 0..=most),
                prop::collection::vec(any::<bool>(), 3),
            )
        })
        .collect();
    per_controller.prop_map(|chosen| {
        chosen
            .into_iter()
            .filter(|(_, gates, _)| !gates.is_empty())
            .map(|(controller, gates, on)| (controller, gates.into_iter().zip(on).collect()))
            .collect()
    })
}

fn tuning(components: Vec<Component>, flux_version: &str) -> impl Strategy<Value = TuningModel> {
    let release = facts::resolve_version(flux_version).release;
    (
        prop::option::of(1u32..=100),
        prop::option::of(prop::sample::select(DURATIONS.to_vec())),
        prop::option::of(prop::sample::select(QUANTITIES.to_vec())),
        prop::option::of(prop::sample::select(LEVELS.to_vec())),
        any::<bool>(),
        any::<bool>(),
        prop::option::of((
            1u32..=50,
            prop::sample::select(DURATIONS.to_vec()),
            prop::sample::select(DURATIONS.to_vec()),
        )),
        prop::option::of((1u8..=100, prop::sample::select(DURATIONS.to_vec()))),
    )
        .prop_flat_map(
            move |(workers, requeue, memory, log_level, in_memory_builds, control_plane, helm_cache, oom_watch)| {
                gates(components.clone(), oom_watch.is_some(), release).prop_map(move |gates| TuningModel {
                    workers,
                    requeue,
                    memory,
                    log_level,
                    in_memory_builds,
                    control_plane,
                    helm_cache,
                    oom_watch,
                    gates,
                })
            },
        )
}

fn webhook() -> impl Strategy<Value = Webhook> {
    let provider = prop::sample::select(vec!["github", "gitlab", "generic-hmac"]);
    prop_oneof![
        Just(Webhook::None),
        (provider.clone(), dns_label()).prop_map(|(p, name)| Webhook::Secret(p, name)),
        (provider, dns_label(), "[a-z]{1,8}(/[a-z]{1,8})?", "[A-Z_]{1,16}")
            .prop_map(|(p, store, key, property)| Webhook::External(p, store, key, property)),
    ]
}

/// One to four clusters with distinct names, phases non-increasing in rollout order.
fn clusters() -> impl Strategy<Value = Vec<ClusterModel>> {
    prop::collection::btree_set(dns_label(), 1..=4)
        .prop_flat_map(|names| {
            let count = names.len();
            (
                Just(names.into_iter().collect::<Vec<_>>()).prop_shuffle(),
                prop::collection::vec(phase(), count),
                prop::collection::vec(prop::option::of(1u32..=64), count),
                prop::collection::vec(prop::option::of(mode()), count),
            )
        })
        .prop_map(|(names, mut phases, workers, modes)| {
            phases.sort_by(|a, b| b.cmp(a));
            names
                .into_iter()
                .zip(phases)
                .zip(workers.into_iter().zip(modes))
                .map(|((name, phase), (workers, mode))| ClusterModel {
                    name,
                    phase,
                    workers,
                    mode,
                })
                .collect()
        })
}

fn model() -> impl Strategy<Value = Model> {
    (
        prop::sample::select(vec![
            "ssh://git@github.com",
            "https://github.com",
            "https://gitlab.example.com",
        ]),
        "[a-z][a-z0-9-]{0,10}/[a-z][a-z0-9-]{0,10}",
        "[a-z][a-z0-9]{0,8}",
        prop::option::of(dns_label()),
        // Operators that ship every Flux version below (0.58.0 brought 2.9.4), or newer than fluxgen knows.
        (0u32..=2, 58u32..=90, 0u32..=9),
        prop::sample::select(vec!["2.9.x", "2.8.x", "2.x", "2.9.4"]),
        mode(),
        components(),
        (
            dns_label(),
            prop::sample::select(vec![
                "kubernetes/{cluster}/sync",
                "clusters/{cluster}",
                "kubernetes/{cluster}/flux/cluster",
            ]),
            prop::sample::select(DURATIONS.to_vec()),
        ),
        webhook(),
        clusters(),
        any::<bool>(),
    )
        .prop_flat_map(
            |(
                host,
                repo,
                branch,
                pull_secret,
                (major, minor, patch),
                flux_version,
                mode,
                components,
                sync,
                webhook,
                clusters,
                rollout,
            )| {
                let enabled = components.clone().unwrap_or_else(|| Component::DEFAULTS.to_vec());
                tuning(enabled, flux_version).prop_map(move |tuning| Model {
                    url: format!("{host}/{repo}"),
                    branch: branch.clone(),
                    pull_secret: pull_secret.clone(),
                    operator_version: format!("{major}.{minor}.{patch}"),
                    flux_version: flux_version.to_owned(),
                    mode,
                    components: components.clone(),
                    sync_name: sync.0.clone(),
                    sync_path: sync.1,
                    sync_interval: sync.2,
                    tuning,
                    webhook: webhook.clone(),
                    clusters: clusters.clone(),
                    write_rollout: rollout,
                })
            },
        )
}

fn order() -> impl Strategy<Value = Order> {
    (0usize..16, 0usize..16, 0usize..16).prop_map(|(tuning, gates, clusters)| Order {
        tuning,
        gates,
        clusters,
    })
}

// --- Checks -------------------------------------------------------------------------------

fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn load(text: &str) -> Config {
    Config::from_yaml(text, Origin::File("fluxgen.yaml".into()))
        .unwrap_or_else(|e| panic!("a generated config is refused:\n{e}\n---\n{text}"))
}

fn plan_all(config: &Config) -> BTreeMap<String, Tree> {
    config
        .clusters
        .keys()
        .map(|name| {
            let tree = plan(config, name).unwrap_or_else(|e| panic!("planning {name}: {e}"));
            (name.clone(), tree)
        })
        .collect()
}

fn crds() -> &'static Crds {
    static CRDS: OnceLock<Crds> = OnceLock::new();
    CRDS.get_or_init(Crds::load)
}

fn charts() -> &'static BTreeMap<&'static str, Chart> {
    static CHARTS: OnceLock<BTreeMap<&'static str, Chart>> = OnceLock::new();
    CHARTS.get_or_init(|| {
        ["flux-operator", "flux-instance"]
            .into_iter()
            .map(|name| (name, Chart::load(name)))
            .collect()
    })
}

/// The files a cluster gets at its phase.
fn expected_files(model: &Model, cluster: &ClusterModel) -> Vec<String> {
    let mut files = Vec::new();
    if cluster.phase >= Phase::Operator {
        files.extend(
            [
                "ks.yaml",
                "app/kustomization.yaml",
                "app/ocirepository.yaml",
                "app/helmrelease.yaml",
            ]
            .map(|f| format!("flux-operator/{f}")),
        );
    }
    if cluster.phase >= Phase::Instance {
        files.extend(["ks.yaml", "app/kustomization.yaml"].map(|f| format!("flux-instance/{f}")));
        match model.mode_of(cluster) {
            Mode::HelmRelease => {
                files.extend(["app/helmrelease.yaml", "app/ocirepository.yaml"].map(|f| format!("flux-instance/{f}")))
            }
            Mode::Manifest => files.push("flux-instance/app/fluxinstance.yaml".into()),
        }
        match &model.webhook {
            Webhook::None => {}
            Webhook::Secret(..) => files.push("flux-instance/app/receiver.yaml".into()),
            Webhook::External(..) => {
                files.extend(["app/receiver.yaml", "app/externalsecret.yaml"].map(|f| format!("flux-instance/{f}")))
            }
        }
    }
    files.sort();
    files
}

/// Property (a): every file parses back to what the model says.
fn check_model(model: &Model, cluster: &ClusterModel, tree: &Tree) -> Result<(), TestCaseError> {
    let files: Vec<String> = tree.files.keys().cloned().collect();
    prop_assert_eq!(&files, &expected_files(model, cluster), "files of {}", cluster.name);
    prop_assert_eq!(&tree.root, &format!("kubernetes/{}/apps/flux-system", cluster.name));
    let parsed: BTreeMap<&str, Value> = tree
        .files
        .iter()
        .map(|(path, text)| {
            let value = document(text).unwrap_or_else(|e| panic!("{path} does not parse back: {e}\n{text}"));
            (path.as_str(), value)
        })
        .collect();
    for app in ["flux-operator", "flux-instance"] {
        if let Some(ks) = parsed.get(format!("{app}/ks.yaml").as_str()) {
            prop_assert_eq!(&ks["spec"]["path"], &json!(format!("./{}/{app}/app", tree.root)));
            prop_assert_eq!(&ks["spec"]["sourceRef"]["name"], &json!(model.sync_name));
        }
    }
    if let Some(chart) = parsed.get("flux-operator/app/ocirepository.yaml") {
        prop_assert_eq!(&chart["spec"]["ref"], &json!({ "tag": model.operator_version }));
    }
    if cluster.phase < Phase::Instance {
        return Ok(());
    }
    let (spec, mut expected) = (
        match model.mode_of(cluster) {
            Mode::HelmRelease => parsed["flux-instance/app/helmrelease.yaml"]["spec"]["values"]["instance"].clone(),
            Mode::Manifest => parsed["flux-instance/app/fluxinstance.yaml"]["spec"].clone(),
        },
        model.instance_spec(cluster),
    );
    if model.mode_of(cluster) == Mode::HelmRelease {
        // Unset, the chart would render `flux-operator-manifests:latest`: pinned to the operator.
        expected["distribution"]["artifact"] = json!(format!(
            "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v{}",
            model.operator_version
        ));
    }
    prop_assert_eq!(spec, expected, "the FluxInstance spec of {}", cluster.name);
    if let Webhook::Secret(provider, _) | Webhook::External(provider, ..) = &model.webhook {
        let receiver = &parsed["flux-instance/app/receiver.yaml"];
        prop_assert_eq!(&receiver["spec"]["type"], &json!(provider));
        let secret = match &model.webhook {
            Webhook::Secret(_, name) => name.clone(),
            _ => format!("{provider}-webhook-token-secret"),
        };
        prop_assert_eq!(&receiver["spec"]["secretRef"]["name"], &json!(secret));
    }
    if let Webhook::External(_, store, key, _) = &model.webhook {
        let external = &parsed["flux-instance/app/externalsecret.yaml"];
        prop_assert_eq!(&external["spec"]["secretStoreRef"]["name"], &json!(store));
        prop_assert_eq!(&external["spec"]["dataFrom"][0]["extract"]["key"], &json!(key));
    }
    Ok(())
}

/// Property (d): every document passes its CRD schema; HelmRelease values pass the chart's
/// schema, and the flux-instance values the FluxInstance spec schema.
fn check_schemas(tree: &Tree) -> Result<(), TestCaseError> {
    for (path, text) in &tree.files {
        let object = document(text).map_err(TestCaseError::fail)?;
        if let Err(e) = crds().check(&object) {
            return Err(TestCaseError::fail(format!("{path} breaks its CRD:\n{e}\n{text}")));
        }
        if object["kind"] == "HelmRelease" {
            let chart = path.split('/').next().unwrap_or_default();
            let values = object["spec"].get("values").cloned().unwrap_or(json!({}));
            if let Some(chart) = charts().get(chart)
                && let Err(e) = chart.check(&values)
            {
                return Err(TestCaseError::fail(format!(
                    "{path}: values break the chart schema:\n{e}"
                )));
            }
            if chart == "flux-instance"
                && let Err(e) = crds().check_spec("fluxcd.controlplane.io/v1", "FluxInstance", &values["instance"])
            {
                return Err(TestCaseError::fail(format!(
                    "{path}: values.instance breaks the CRD:\n{e}"
                )));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases())]

    /// (a) the emitted files are the model, (b) twice (alone or with the others) gives the same
    /// bytes, (d) CRD schemas.
    #[test]
    fn emitted_files_are_the_model_deterministic_and_schema_valid(model in model(), order in order()) {
        let text = to_yaml(&model, order);
        let config = load(&text);
        let trees = plan_all(&config);
        prop_assert_eq!(trees.len(), model.clusters.len());
        for cluster in &model.clusters {
            let tree = &trees[&cluster.name];
            check_model(&model, cluster, tree)?;
            check_schemas(tree)?;
            // (b) Planning again, and loading the text again, gives the same bytes.
            prop_assert_eq!(&plan(&config, &cluster.name).expect("plans again"), tree);
            prop_assert_eq!(&plan(&load(&text), &cluster.name).expect("plans again"), tree);
        }
        // Planned together (reusing documents from the cluster before), each is the same.
        let names: Vec<String> = config.clusters.keys().cloned().collect();
        let together = fluxgen_core::plan_all(&config, &names).expect("plans together");
        for (name, tree) in names.iter().zip(&together) {
            prop_assert_eq!(&trees[name], tree, "{} planned with the others", name);
        }
    }

    /// (c) The order of tuning keys, feature gates and cluster entries changes no byte.
    #[test]
    fn key_order_does_not_change_the_output(model in model(), first in order(), second in order()) {
        let one = plan_all(&load(&to_yaml(&model, first)));
        let other = plan_all(&load(&to_yaml(&model, second)));
        prop_assert_eq!(one, other);
    }
}

#[test]
fn reorder_rotates_and_reverses() {
    assert_eq!(reorder(vec![1, 2, 3], 0), [1, 2, 3]);
    assert_eq!(reorder(vec![1, 2, 3], 1), [1, 3, 2]);
    assert_eq!(reorder(vec![1, 2, 3], 2), [3, 1, 2]);
}

#[test]
fn a_written_model_reads_back_as_the_same_config() {
    let model = Model {
        url: "ssh://git@github.com/example/haynes-ops".into(),
        branch: "main".into(),
        pull_secret: Some("github-deploy-key".into()),
        operator_version: "0.58.1".into(),
        flux_version: "2.9.x".into(),
        mode: Mode::HelmRelease,
        components: None,
        sync_name: "flux-system".into(),
        sync_path: "kubernetes/{cluster}/sync",
        sync_interval: "1h",
        tuning: TuningModel {
            workers: Some(10),
            gates: BTreeMap::from([(
                Component::HelmController,
                BTreeMap::from([("DisableChartDigestTracking", true)]),
            )]),
            ..TuningModel::default()
        },
        webhook: Webhook::Secret("github", "github-webhook".into()),
        clusters: vec![ClusterModel {
            name: "edge".into(),
            phase: Phase::Instance,
            workers: None,
            mode: None,
        }],
        write_rollout: true,
    };
    let text = to_yaml(
        &model,
        Order {
            tuning: 0,
            gates: 0,
            clusters: 0,
        },
    );
    assert!(text.contains("\"workers\": 10\n"), "{text}");
    let config = load(&text);
    let edge = config.cluster("edge").expect("edge");
    assert_eq!(edge.settings.instance.sync.path, "kubernetes/edge/sync");
    let tree = plan(&config, "edge").expect("plans");
    check_model(&model, &model.clusters[0], &tree).expect("the model");
}
