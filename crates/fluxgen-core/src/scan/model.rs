//! What the scanner finds: plain data, each object with the file and line it was read from.
//!
//! Values of SOPS-encrypted files never reach these types: such a file is a [`SopsFile`]
//! with the kind, name and data key names of each document, and nothing else. Of a plaintext
//! Secret or ConfigMap, and of a kustomize generator's literals and env files, only the key
//! names are kept, never a value.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::{objects::KustomizePatch, objects::PatchTarget};

/// Where something was read: a file relative to the repository root (`/`-separated) and the
/// 1-based line its document or entry starts on.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The file, relative to the repository root.
    pub file: String,
    /// The line, from 1.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Any Kubernetes object of a plaintext file: what it is and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name` (empty when missing).
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// Where it is.
    pub at: Location,
    /// `metadata.labels` (scalars as written: numbers and booleans as text).
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations` (scalars as written), but for
    /// `kubectl.kubernetes.io/last-applied-configuration`: a copy of the object, which for a
    /// Secret holds its values.
    pub annotations: BTreeMap<String, String>,
    /// The key names of `data`, then `stringData`, as a ConfigMap or Secret has them (empty
    /// for most other kinds); never a value.
    pub data_keys: Vec<String>,
}

/// A reference to another object (`sourceRef`, a Receiver resource, an Alert event source).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    /// `apiVersion`, when written.
    pub api_version: Option<String>,
    /// `kind`.
    pub kind: String,
    /// `name` (`*` for every object in an Alert or Receiver).
    pub name: String,
    /// `namespace`, when written.
    pub namespace: Option<String>,
}

/// A `dependsOn` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// The name.
    pub name: String,
    /// The namespace, when written.
    pub namespace: Option<String>,
}

/// A kustomize patch as written in a `kustomization.yaml`, a Flux Kustomization or a
/// FluxInstance: its text (read from `path:` when it is a file) and target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Patch {
    /// The patch: a JSON 6902 list or a strategic-merge document, as YAML text.
    pub patch: String,
    /// What it applies to.
    pub target: Option<PatchTarget>,
    /// The file the text was read from, for a `path:` patch.
    pub from_file: Option<String>,
    /// Where the entry is written.
    pub at: Location,
}

impl Patch {
    /// The patch as the kustomize patch type the rest of fluxgen applies.
    pub fn to_kustomize(&self) -> KustomizePatch {
        KustomizePatch {
            patch: self.patch.clone(),
            target: self.target.clone(),
        }
    }
}

/// A Flux `GitRepository`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedGitRepository {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// `spec.url`.
    pub url: String,
    /// `spec.ref`.
    pub reference: GitReference,
    /// `spec.secretRef.name`.
    pub secret_ref: Option<String>,
    /// `spec.provider`: how it authenticates (`github` for a GitHub App, `azure`, `aws`,
    /// `generic`).
    pub provider: Option<String>,
    /// `spec.interval`.
    pub interval: Option<String>,
    /// `spec.ignore`: gitignore-style exclusions.
    pub ignore: Option<String>,
    /// Where it is.
    pub at: Location,
}

/// `GitRepository.spec.ref`: at most one of these is usually set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GitReference {
    /// A branch.
    pub branch: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    /// A semver range over tags.
    pub semver: Option<String>,
    /// A full ref name, e.g. `refs/heads/main`.
    pub name: Option<String>,
    /// A commit SHA.
    pub commit: Option<String>,
}

/// A Flux `OCIRepository`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedOciRepository {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// `spec.url`, e.g. `oci://ghcr.io/fluxcd/flux-manifests`.
    pub url: String,
    /// `spec.ref.tag`.
    pub tag: Option<String>,
    /// `spec.ref.semver`.
    pub semver: Option<String>,
    /// `spec.ref.digest`.
    pub digest: Option<String>,
    /// Where it is.
    pub at: Location,
}

/// A Flux `Kustomization` (`kustomize.toolkit.fluxcd.io`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedKustomization {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// `spec.path`, as written (often `./kubernetes/...`).
    pub path: Option<String>,
    /// `spec.sourceRef`.
    pub source_ref: Option<ObjectReference>,
    /// `spec.prune`.
    pub prune: Option<bool>,
    /// `spec.wait`.
    pub wait: Option<bool>,
    /// `spec.suspend`.
    pub suspend: Option<bool>,
    /// `spec.interval`.
    pub interval: Option<String>,
    /// `spec.timeout`.
    pub timeout: Option<String>,
    /// `spec.targetNamespace`.
    pub target_namespace: Option<String>,
    /// `spec.postBuild`.
    pub post_build: Option<PostBuild>,
    /// `spec.decryption`.
    pub decryption: Option<Decryption>,
    /// `spec.dependsOn`.
    pub depends_on: Vec<Dependency>,
    /// `spec.patches`.
    pub patches: Vec<Patch>,
    /// `spec.commonMetadata`: what Flux adds to every object it applies.
    pub common_metadata: Option<ScannedCommonMetadata>,
    /// Where it is.
    pub at: Location,
}

/// A Flux Kustomization's `spec.commonMetadata` (scalars as written).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScannedCommonMetadata {
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl ScannedKustomization {
    /// `spec.path` relative to the repository root, without `./` or a trailing `/` (`""` for
    /// the root).
    pub fn repo_path(&self) -> Option<String> {
        self.path.as_deref().map(normalize_repo_path)
    }
}

/// A path written relative to a source's root (`./kubernetes/main/flux/`) as the scanner
/// keeps paths: `kubernetes/main/flux`.
pub fn normalize_repo_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// `spec.postBuild`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostBuild {
    /// Inline variables.
    pub substitute: BTreeMap<String, String>,
    /// ConfigMaps and Secrets of variables.
    pub substitute_from: Vec<SubstituteSource>,
}

/// A `postBuild.substituteFrom` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubstituteSource {
    /// `ConfigMap` or `Secret`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Whether it may be missing.
    pub optional: bool,
}

/// `spec.decryption`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decryption {
    /// The provider, `sops`.
    pub provider: String,
    /// The Secret with the keys.
    pub secret_ref: Option<String>,
}

/// Where a HelmRelease's chart comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Chart {
    /// `spec.chart.spec`: a chart name in a HelmRepository, GitRepository or Bucket.
    Spec {
        /// The chart name.
        chart: String,
        /// The version or range.
        version: Option<String>,
        /// The source.
        source: Option<ObjectReference>,
    },
    /// `spec.chartRef`: an OCIRepository or HelmChart.
    Ref(ObjectReference),
    /// Neither is written.
    Unknown,
}

/// A Flux `HelmRelease`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedHelmRelease {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// The chart.
    pub chart: Chart,
    /// `spec.valuesFrom`.
    pub values_from: Vec<ValuesReference>,
    /// `spec.dependsOn`.
    pub depends_on: Vec<Dependency>,
    /// Where it is.
    pub at: Location,
}

/// A `valuesFrom` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValuesReference {
    /// `ConfigMap` or `Secret`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The key holding the values (`values.yaml` by default).
    pub values_key: Option<String>,
}

/// A Flux notification `Receiver`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedReceiver {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// `spec.type`, e.g. `github`.
    pub receiver_type: String,
    /// `spec.secretRef.name`: the Secret with the token (its value is never read).
    pub secret_ref: Option<String>,
    /// `spec.resources`: what a call reconciles.
    pub resources: Vec<ObjectReference>,
    /// Where it is.
    pub at: Location,
}

/// A Flux notification `Alert`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedAlert {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// `spec.providerRef.name`.
    pub provider_ref: Option<String>,
    /// `spec.eventSources`.
    pub event_sources: Vec<ObjectReference>,
    /// Where it is.
    pub at: Location,
}

/// A Flux notification `Provider` (its address is not kept: it may carry a token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedProvider {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// `spec.type`, e.g. `github`.
    pub provider_type: String,
    /// `spec.secretRef.name`.
    pub secret_ref: Option<String>,
    /// Where it is.
    pub at: Location,
}

/// How a FluxInstance is defined in the repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum InstanceSource {
    /// A plain `FluxInstance` manifest.
    Manifest,
    /// `values.instance` of a flux-instance chart HelmRelease.
    HelmRelease {
        /// The HelmRelease's name.
        release: String,
        /// The file the values were read from when they come from a generated ConfigMap
        /// (`valuesFrom` + `configMapGenerator`); `None` for inline `values`.
        values_file: Option<String>,
    },
}

/// A FluxInstance (`fluxcd.controlplane.io`), from a manifest or from flux-instance chart
/// values.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedFluxInstance {
    /// The instance's name (`flux` for a chart's instance).
    pub name: String,
    /// Its namespace, when written.
    pub namespace: Option<String>,
    /// How it is defined.
    pub source: InstanceSource,
    /// `distribution.version`.
    pub distribution_version: Option<String>,
    /// `components`.
    pub components: Vec<String>,
    /// `cluster.networkPolicy`.
    pub network_policy: Option<bool>,
    /// `sync`.
    pub sync: Option<ScannedInstanceSync>,
    /// `kustomize.patches`.
    pub patches: Vec<Patch>,
    /// The whole spec, for what the typed fields do not cover.
    pub spec: Value,
    /// Where it is (the manifest, or the HelmRelease).
    pub at: Location,
}

/// `FluxInstance.spec.sync`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedInstanceSync {
    /// `kind`, e.g. `GitRepository`.
    pub kind: Option<String>,
    /// `url`.
    pub url: Option<String>,
    /// `ref`, e.g. `refs/heads/main`.
    pub reference: Option<String>,
    /// `path`.
    pub path: Option<String>,
    /// `name` (defaults to the namespace).
    pub name: Option<String>,
    /// `pullSecret`.
    pub pull_secret: Option<String>,
    /// `interval`.
    pub interval: Option<String>,
}

/// A `kustomization.yaml` that installs Flux from the flux2 release manifests (what
/// `flux bootstrap`-era repositories apply with `kubectl apply -k`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BootstrapInstall {
    /// The remote base as written, e.g. `github.com/fluxcd/flux2/manifests/install?ref=v2.3.0`.
    pub url: String,
    /// The Flux version it pins (`v2.3.0`), when it does.
    pub version: Option<String>,
    /// The patches of that `kustomization.yaml`, in order.
    pub patches: Vec<Patch>,
    /// The `kustomization.yaml`.
    pub at: Location,
}

/// A SOPS-encrypted file: only what each document is and the names of its keys, never a value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SopsFile {
    /// The file, relative to the repository root.
    pub file: String,
    /// Each document's kind and name (`None` when missing or encrypted) and the names of its
    /// data keys: plaintext metadata.
    pub documents: Vec<SopsDocument>,
}

/// One document of a SOPS-encrypted file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SopsDocument {
    /// `kind`.
    pub kind: Option<String>,
    /// `metadata.name`.
    pub name: Option<String>,
    /// The line the document starts on.
    pub line: u32,
    /// The key names of `data`, then `stringData`, which SOPS leaves in plaintext (a name
    /// that is itself encrypted, `ENC[...]`, is left out); never a value.
    pub data_keys: Vec<String>,
}

/// An `ExternalSecret` (`external-secrets.io`): the store it reads and the Secret it writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedExternalSecret {
    /// `metadata.name` (empty when missing).
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// `spec.secretStoreRef.kind` (`SecretStore` when missing, as the CRD defaults it).
    pub store_kind: String,
    /// `spec.secretStoreRef.name`, when written.
    pub store: Option<String>,
    /// `spec.target.name`, or the ExternalSecret's own name (the CRD's default).
    pub target: String,
    /// Where it is.
    pub at: Location,
}

/// A `${VAR}` reference that Flux's `postBuild` substitution replaces: `${NAME}`, `${NAME:=x}`
/// and the other forms Flux reads. `$${NAME}` (an escape) and the text of a document with
/// `kustomize.toolkit.fluxcd.io/substitute: disabled` hold none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableUse {
    /// The variable's name.
    pub name: String,
    /// Whether the reference gives a default (`${NAME:=x}`, `${NAME:-x}`, `${NAME=x}`,
    /// `${NAME-x}`), so an undefined variable does not fail a strict build.
    pub has_default: bool,
    /// The line, from 1.
    pub line: u32,
}

/// Something the scanner skipped or could not read, for the user to know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The file (or directory), relative to the repository root.
    pub file: String,
    /// The line, when known.
    pub line: Option<u32>,
    /// The column on that line, from 1, when known.
    pub column: Option<u32>,
    /// What kind of note.
    pub kind: NoteKind,
    /// What happened.
    pub message: String,
}

/// `file:line:column: message`, or as much of the position as is known.
impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            (Some(line), None) => write!(f, "{}:{line}: {}", self.file, self.message),
            (None, _) => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Kinds of notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NoteKind {
    /// A template (`.j2`, or `{{ }}`/`#{ }#` templating that is not YAML): skipped.
    Template,
    /// A `.yaml` file that is not YAML text (binary, not UTF-8): skipped.
    NotYaml,
    /// YAML that does not parse: the documents that do are kept.
    Malformed,
    /// A file or directory that cannot be read, or a file larger than
    /// [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES).
    Unreadable,
    /// A symbolic link that is not followed: outside the repository, dangling, or back to a
    /// directory that contains it.
    Symlink,
    /// A symbolic link in a loop (`a -> b`, `b -> a`): resolving it never reaches a file.
    SymlinkLoop,
    /// A field of a Flux object with the wrong type (a list for `spec.path`) or a value Flux
    /// rejects (`interval: 10x`): the object is read without it.
    InvalidField,
    /// A `kustomization.yaml` entry that names a path that does not exist.
    MissingPath,
    /// A URL with credentials (a password, or a token as its user): the model keeps the URL
    /// without them, and no message repeats them.
    Credentials,
}

impl NoteKind {
    /// Whether the note is about content the scan could not read: a file or document that is
    /// malformed, not YAML, unreadable or too large, a link loop, or an invalid field. What
    /// such a file holds is missing from the [`ScannedRepository`](super::ScannedRepository), so `import`
    /// refuses it unless told to go on without ([`ImportOptions::skip_unreadable`]). Templates,
    /// links that are not followed and missing paths lose nothing that is in the repository.
    ///
    /// [`ImportOptions::skip_unreadable`]: crate::ImportOptions::skip_unreadable
    ///
    /// ```
    /// use fluxgen_core::scan::NoteKind;
    /// assert!(NoteKind::Malformed.loses_content());
    /// assert!(!NoteKind::Template.loses_content());
    /// ```
    pub fn loses_content(self) -> bool {
        match self {
            NoteKind::NotYaml
            | NoteKind::Malformed
            | NoteKind::Unreadable
            | NoteKind::SymlinkLoop
            | NoteKind::InvalidField => true,
            NoteKind::Template | NoteKind::Symlink | NoteKind::MissingPath | NoteKind::Credentials => false,
        }
    }
}
