//! # fluxgen-core
//!
//! Typed Flux Operator objects and the generator behind the `fluxgen` command.
//!
//! fluxgen writes, for every cluster of a GitOps repository, the two app directories that
//! install Flux through the Flux Operator, laid out as onedr0p/home-ops does:
//!
//! ```text
//! kubernetes/<cluster>/apps/flux-system/
//!   flux-operator/ks.yaml, app/{kustomization,ocirepository,helmrelease}.yaml
//!   flux-instance/ks.yaml, app/{kustomization,ocirepository,helmrelease}.yaml
//!                          (+ externalsecret.yaml, receiver.yaml with a webhook)
//! ```
//!
//! ## End to end
//!
//! ```
//! use fluxgen_core::{Config, plan};
//!
//! let config = Config::from_yaml(
//!     "repository: { url: ssh://git@github.com/example/haynes-ops, branch: main }\n\
//!      clusters: { edge: { phase: instance } }\n",
//!     fluxgen_core::Origin::Text("inventory".to_owned()),
//! )?;
//! let tree = plan(&config, "edge")?;
//! assert_eq!(tree.root, "kubernetes/edge/apps/flux-system");
//! assert!(tree.files["flux-instance/app/helmrelease.yaml"].contains("ref: refs/heads/main"));
//! # Ok::<(), fluxgen_core::Error>(())
//! ```
//!
//! ## The map of the crate
//!
//! The crate root holds what a tool needs: the objects, tuning, the config, `plan`/`write`/
//! `check`, and the entry points and reports of `doctor`, `import`, `explain` and the runbook.
//! Each module holds its whole vocabulary: [`objects`] (every part of every object),
//! [`tuning`], [`config`], [`emit`] (trees and the writer's markers), [`explain`](mod@explain), [`scan`](mod@scan)
//! (the repository model, read-side types named `Scanned*`), [`doctor`](mod@doctor), [`import`](mod@import),
//! [`runbook`](mod@runbook), [`crd`] (checks against real CRD schemas) and [`facts`] (what fluxgen knows of
//! each Flux release and of the operator, with their sources). The layers build on each other
//! in that order, objects first, and the Cargo features follow them (below).
//!
//! ## The object model
//!
//! Objects are plain data with public fields and a few `with_*` setters: [`OciRepository`],
//! [`HelmRelease`], [`FluxInstance`], [`Kustomization`] (Flux), [`KustomizationFile`]
//! (kustomize), [`ExternalSecret`] and [`Receiver`]. Each Kubernetes object implements
//! k8s-openapi's `Resource` and `Metadata` (so kube's `Resource`, `Api` and `DynamicObject`
//! take it), serde both ways (reading checks `apiVersion` and `kind`), and [`Manifest`]: its
//! schema and [`Manifest::violations`], which checks the CRD's rules (patterns, enums, required
//! fields, CEL rules) and reports all of them. [`render()`] gives the exact bytes fluxgen writes
//! for one, [`Tree::insert`] collects them, and [`write()`] writes a tree safely.
//!
//! ## Controller tuning
//!
//! Each knob is a [`Tuning`] value that knows its controllers ([`Component`] renders the
//! `(a|b)` target regex): workers, requeue dependency, API limits, resources, in-memory
//! builds, Helm cache, OOM watch, feature gates, config watching, SOPS age secret, log level,
//! control-plane scheduling, sync-Kustomization additions and raw patches. [`lower`] turns a
//! list into FluxInstance patches: order-independent, same-target entries merged, one
//! `--feature-gates` per controller, and a [`TuningError::Conflict`] naming both tunings when
//! two set one flag to different values. [`preset`] gives named lists (`home-ops`).
//! [`explain()`] resolves the cluster's `distribution.version` to the Flux release fluxgen knows
//! the Deployments of (2.4 to 2.9, [`facts`]), applies the operator's `cluster.type`,
//! `cluster.size` and `cluster.multitenant` profiles and then the patches to them with the
//! in-process kustomize subset ([`KustomizePatch::apply_to`](objects::KustomizePatch::apply_to)), and reports the release used and each
//! controller's effective settings and what set them.
//!
//! ```
//! use fluxgen_core::{Component, Tuning, lower};
//! let error = lower(&[
//!     Tuning::workers([Component::KustomizeController], 10),
//!     Tuning::workers([Component::KustomizeController], 20),
//! ])
//! .unwrap_err();
//! assert!(error.to_string().contains("--concurrent=10") && error.to_string().contains("--concurrent=20"));
//! ```
//!
//! ## The migration
//!
//! Each cluster has a [`Phase`]; `rollout` orders them, edge first. [`runbook()`] renders the
//! Markdown runbook of a cluster's phase from the templates in the crate's `templates/`, checked against
//! the repository; [`check`] compares a committed tree with what the config generates.
//! [`scan()`] reads a repository into the one repository model that `import`, `plan` and
//! `doctor` all read ([`scan::ScannedRepository`]: Flux sources and Kustomizations, the kustomize graph,
//! FluxInstances, bootstrap installs, the directories `flux bootstrap` writes
//! ([`scan::FluxBootstrap`]: one cluster per bootstrap path, at any depth), ExternalSecrets, every object with its labels and
//! annotations, `${VAR}` references; of Secrets, generators and SOPS files only kinds, names and
//! key names; the build graph of
//! what each Kustomization applies, built as kustomize-controller builds a path; the clusters,
//! their roots and installs), and one sync decision: a sync named like an existing Kustomization
//! adopts it, and one that would repoint it at a directory lacking what it applies is refused by
//! [`scan::check_sync`] (called by `emit` and [`runbook()`]). [`import()`] turns a GOTK-era
//! repository, home-ops or `flux bootstrap` layout, into a `fluxgen.yaml` that keeps what its controllers run, with an [`ImportReport`]
//! of every translation and of what is left. [`doctor()`] judges a scanned repository, reading nothing but
//! the scan, against each cluster's phase (from `fluxgen.yaml`, or inferred): every risk of the migration is a
//! [`doctor::Code`] (double-managed controllers, CRD managers, sync path overlap, a repointed
//! root, root names and dangling references, prune and deletion, SOPS on the sync path or
//! without decryption, Receivers and Alerts naming what is gone, strict substitution, the
//! External Secrets baseline, a chartRef migration under way, and the ownership graph's two
//! owners, cycles, unapplied Kustomizations and missing paths), reported as [`Finding`]s with a
//! [`Severity`], the files involved, why and how to fix, as text, JSON or Markdown, with the
//! ownership graph in Mermaid. [`runbook_findings`] gives a runbook's facts as data, the
//! cutover's file changes included ([`runbook::CutoverSteps`]).
//!
//! A cluster `flux bootstrap` installed (`<path>/flux-system/` with the gotk files) follows the
//! Flux Operator's migration guide instead: the FluxInstance adopts the bootstrap install and
//! the GitRepository and Kustomization `flux-system` in place, so `doctor` reports neither two
//! managers nor two owners there, only the gotk files left next to it (`bootstrap-cleanup`: to
//! remove at cutover, an error from then on) and what the FluxInstance changes from the
//! bootstrap (`bootstrap-drift`: components, NetworkPolicies, intervals, ref); the runbook's
//! cutover deletes `gotk-components.yaml` and `gotk-sync.yaml` and their lines
//! ([`runbook::CutoverSteps::unlists`]) and never adds a `<path>/kustomization.yaml`.
//!
//! A cluster whose install runs Flux more than one minor below its `distribution.version`
//! gets `upgrade-path`, and its runbook the minor-by-minor path ([`doctor::UpgradeStep`]):
//! for each step, the API versions the repository's objects use that the step's CRDs no longer
//! serve ([`facts::Release::crd`]), `StrictPostBuildSubstitutions` in 2.9, and the gates its
//! controller patches set that the step's controllers do not know or ignore.
//!
//! ## Overrides
//!
//! `overrides` in `fluxgen.yaml` ([`config::Override`]) change any emitted object without
//! forking fluxgen: a target (kind, and optionally API group, name and file) and an RFC 7396
//! merge patch, RFC 6902 operations or a strategic-merge patch, applied to each object's JSON
//! after it is checked and before it is written, with the result `kubectl kustomize` gives for
//! the same patch. An override that selects nothing, or a JSON pointer that does not exist, is
//! an [`Error::Override`].
//!
//! ## What the emitter guarantees
//!
//! - [`plan`] is pure and deterministic: the same config gives the same bytes on any machine.
//! - Every file starts with `---`, a `yaml-language-server` schema line and fluxgen's marker;
//!   keys are sorted, indentation is two spaces, multi-line strings are literal blocks, and
//!   strings YAML 1.1 would misread (`yes`, `on`, `1.10`, dates) are quoted.
//! - [`write()`] checks everything before writing anything, writes each changed file to a
//!   temporary file beside it and renames each into place (a killed run leaves every file old or
//!   new), skips unchanged files, and never overwrites or deletes a file without the marker
//!   (an empty one, what a power cut leaves of an unflushed write, is replaced). With
//!   [`Durability::Flushed`] ([`write_with`]) the files are flushed to disk before the renames,
//!   so a power cut too leaves every file old or new. [`write_clusters`] and [`check_clusters`]
//!   plan and compare many clusters on every core.
//!
//! ## Cargo features and the Kubernetes version
//!
//! The objects' `metadata` is k8s-openapi's `ObjectMeta`, the same in every Kubernetes version,
//! but k8s-openapi's build script needs exactly one version chosen in the whole build. The
//! default feature `k8s-openapi-latest` chooses k8s-openapi's `latest`, so a crate with
//! fluxgen-core as its only dependency builds, and so does `cargo doc`. A crate that chooses its
//! own version (it depends on k8s-openapi or kube with a `v1_*` feature), or a library that must
//! leave the choice to its application as k8s-openapi asks, turns it off:
//!
//! ```toml
//! [dependencies]
//! fluxgen-core = { version = "0.1", default-features = false, features = ["migration"] }
//! k8s-openapi = { version = "0.29", features = ["v1_34"] } # in the application only
//! ```
//!
//! The other features choose how much of fluxgen is built; each includes the ones before it, and
//! the default is all of them:
//!
//! - none: the typed objects and their checks, [`render()`], [`Tree`], [`write()`] and
//!   [`check()`], and the Flux release facts;
//! - `tuning`: [`Tuning`], [`lower`], [`preset`] and the kustomize patches
//!   (`patch`);
//! - `generator`: the config (`fluxgen.yaml`: loader, validator, schema), `plan`,
//!   `write_clusters`, `check_clusters`, `explain`, overrides and CRD schema checks;
//! - `migration`: the repository scanner, `doctor`, `import` and the runbooks.
//!
//! A tool that only builds objects depends on
//! `fluxgen-core = { version = "0.1", default-features = false, features = ["k8s-openapi-latest"] }`.

mod component;
#[cfg(feature = "generator")]
pub mod config;
#[cfg(feature = "generator")]
pub mod crd;
#[cfg(feature = "migration")]
pub mod doctor;
mod duration;
pub mod emit;
mod error;
#[cfg(feature = "generator")]
pub mod explain;
mod external_secret;
pub mod facts;
mod helm;
#[cfg(feature = "migration")]
pub mod import;
mod instance;
mod kustomize;
mod manifest;
mod notification;
pub mod objects;
#[cfg(feature = "generator")]
mod overrides;
mod parallel;
#[cfg(feature = "tuning")]
mod patch;
// The table serves the config too: without it, some rows serve nobody.
#[cfg_attr(not(feature = "generator"), allow(dead_code))]
mod patterns;
mod render;
mod resources;
#[cfg(feature = "migration")]
pub mod runbook;
#[cfg(feature = "migration")]
pub mod scan;
mod source;
mod suggest;
#[cfg(feature = "tuning")]
pub mod tuning;
mod url;
mod validation;
mod yaml;

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

// The crate root holds what a tool needs; each module holds its whole vocabulary.
pub use component::Component;
#[cfg(feature = "generator")]
pub use config::{Cluster, Config, ConfigError, ConfigErrors, LoadOptions, Origin, Phase};
#[cfg(feature = "migration")]
pub use doctor::{Finding, Severity, doctor};
pub use emit::{Drift, DriftKind, Durability, Tree, WriteReport, check, write, write_with};
#[cfg(feature = "generator")]
pub use emit::{check_clusters, plan, plan_all, write_clusters, write_clusters_with};
pub use error::Error;
#[cfg(feature = "generator")]
pub use explain::{Explanation, explain};
#[cfg(feature = "migration")]
pub use import::{ImportOptions, ImportReport, Imported, import};
pub use manifest::Manifest;
pub use objects::{
    ExternalSecret, FluxInstance, HelmRelease, Kustomization, KustomizationFile, OciRepository, Receiver,
};
pub use render::{DEFAULT_SCHEMA_BASE_URL, render};
pub use resources::{Quantity, ResourceAmounts, Resources};
#[cfg(feature = "migration")]
pub use runbook::{Findings, runbook, runbook_findings};
#[cfg(feature = "migration")]
pub use scan::scan;
#[cfg(feature = "tuning")]
pub use tuning::{Tuning, TuningError, lower, preset};
pub use validation::Violation;
