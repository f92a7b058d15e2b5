//! The kustomize graph: every `kustomization.yaml` with its resources and components
//! resolved relative to its own directory (local files and directories, remote bases, paths
//! that do not exist), its patches and its generators; the Flux bootstrap installs among them
//! (what each Flux Kustomization builds from them is the build graph, `build_graph`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::boundary::{Kind, Root};
use super::documents::{Unread, is_encrypted};
use super::flux_objects::{items, patch_target, string_map, text};
use super::model::{BootstrapInstall, Location, Note, NoteKind, Patch};
use crate::yaml::{Node, NodeValue, Position};

/// The file names kustomize reads in a directory.
pub const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A `kustomization.yaml` (kustomize's own file, `kustomize.config.k8s.io`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizeFile {
    /// Its directory, relative to the repository root (`""` for the root).
    pub dir: String,
    /// `kind`: `Kustomization` or `Component`.
    pub kind: String,
    /// `namespace`.
    pub namespace: Option<String>,
    /// `resources`, resolved.
    pub resources: Vec<KustomizeEntry>,
    /// `components`, resolved.
    pub components: Vec<KustomizeEntry>,
    /// `patches`, `patchesStrategicMerge` and `patchesJson6902`, in that order.
    pub patches: Vec<Patch>,
    /// `configMapGenerator`.
    pub config_map_generators: Vec<Generator>,
    /// `secretGenerator` (names and keys only: a value is never read).
    pub secret_generators: Vec<Generator>,
    /// `commonLabels` (scalars as written).
    pub common_labels: BTreeMap<String, String>,
    /// `commonAnnotations` (scalars as written).
    pub common_annotations: BTreeMap<String, String>,
    /// The `labels` transformer's `pairs`, every entry merged (scalars as written).
    pub labels: BTreeMap<String, String>,
    /// The file.
    pub at: Location,
}

/// A `resources` or `components` entry: as written, and what it resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KustomizeEntry {
    /// As written.
    pub written: String,
    /// What it names.
    pub target: EntryTarget,
    /// The line of the entry.
    pub line: u32,
}

/// What a kustomize path resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryTarget {
    /// A file, relative to the repository root.
    File(String),
    /// A directory, relative to the repository root.
    Directory(String),
    /// A remote base, e.g. `github.com/fluxcd/flux2/manifests/install` with ref `v2.3.0`.
    Remote {
        /// The URL without its query.
        url: String,
        /// `?ref=` (or `?version=`), when given.
        reference: Option<String>,
    },
    /// A path inside the repository that does not exist.
    Missing(String),
    /// A path that leaves the repository.
    OutsideRepository,
}

/// A `configMapGenerator` or `secretGenerator` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Generator {
    /// The generated object's name.
    pub name: String,
    /// Its namespace, when written.
    pub namespace: Option<String>,
    /// `files`: each key and the file it is read from.
    pub files: Vec<(String, EntryTarget)>,
    /// `envs`.
    pub envs: Vec<EntryTarget>,
    /// The keys `literals` define (`key=value` entries: the key only, never the value).
    pub literal_keys: Vec<String>,
    /// The keys the `envs` files define (`KEY=value` lines: the key only, never the value),
    /// read at scan time. A SOPS-encrypted YAML file is not read (its keys are unknown); of an
    /// encrypted dotenv file only the key names count, which SOPS leaves in plaintext.
    pub env_keys: Vec<String>,
}

/// Whether a file name is one kustomize reads as a kustomization.
pub(super) fn is_kustomization_file(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    KUSTOMIZATION_FILES.contains(&name)
}

/// The directory of a relative file path (`""` at the root).
pub(super) fn parent(relative: &str) -> &str {
    relative.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `dir` joined with a relative path, `.` and `..` resolved; `None` when it leaves the root.
pub(super) fn join(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Whether a kustomize resource is a remote base rather than a local path.
fn is_remote(written: &str) -> bool {
    written.contains("://")
        || ["github.com/", "gitlab.com/", "bitbucket.org/", "git@", "git::"]
            .iter()
            .any(|prefix| written.starts_with(prefix))
}

/// Resolves a path written in a kustomization in `dir`.
pub(super) fn resolve(root: Root<'_>, dir: &str, written: &str) -> EntryTarget {
    if is_remote(written) {
        let (url, query) = written.split_once('?').unwrap_or((written, ""));
        let reference = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| matches!(*key, "ref" | "version"))
            .map(|(_, value)| value.to_owned());
        return EntryTarget::Remote {
            url: crate::url::without_credentials(url).into_owned(),
            reference,
        };
    }
    let Some(relative) = join(dir, written) else {
        return EntryTarget::OutsideRepository;
    };
    match root.kind(&relative) {
        Kind::Directory => EntryTarget::Directory(relative),
        Kind::File => EntryTarget::File(relative),
        Kind::Outside => EntryTarget::OutsideRepository,
        Kind::Other | Kind::Unresolved => EntryTarget::Missing(relative),
    }
}

/// The note for a path written in a kustomization that leads outside the repository: not
/// followed (kustomize refuses it too), where it leads named, never what it holds.
fn outside_note(file: &str, at: Position, key: &str, written: &str) -> Note {
    Note {
        file: file.to_owned(),
        line: Some(at.line),
        column: Some(at.column),
        kind: NoteKind::Symlink,
        message: format!("`{key}` lists `{written}`, which leads outside the repository: not followed"),
    }
}

/// Reads a kustomization document of the file `relative`.
pub(super) fn kustomize_file(root: Root<'_>, node: &Node, relative: &str, notes: &mut Vec<Note>) -> KustomizeFile {
    let dir = parent(relative).to_owned();
    let entries = |key: &str, notes: &mut Vec<Note>| -> Vec<KustomizeEntry> {
        items(node, &[key])
            .iter()
            .filter_map(|entry| {
                let written = text(entry, &[])?;
                let target = resolve(root, &dir, &written);
                if crate::url::has_credentials(&written) {
                    notes.push(super::credentials::note(relative, entry, key));
                }
                let written = crate::url::without_credentials(&written).into_owned();
                match &target {
                    EntryTarget::Missing(path) => notes.push(Note {
                        file: relative.to_owned(),
                        line: Some(entry.at.line),
                        column: Some(entry.at.column),
                        kind: NoteKind::MissingPath,
                        message: format!("`{key}` lists `{written}`, but {path} does not exist"),
                    }),
                    EntryTarget::OutsideRepository => notes.push(outside_note(relative, entry.at, key, &written)),
                    _ => {}
                }
                Some(KustomizeEntry {
                    written,
                    target,
                    line: entry.at.line,
                })
            })
            .collect()
    };
    let resources = entries("resources", notes);
    let components = entries("components", notes);
    let generators = |key: &str, notes: &mut Vec<Note>| -> Vec<Generator> {
        let mut resolve_noted = |entry: &Node, field: &str, path: &str| {
            let target = resolve(root, &dir, path);
            if target == EntryTarget::OutsideRepository {
                notes.push(outside_note(relative, entry.at, &format!("{key}.{field}"), path));
            }
            target
        };
        items(node, &[key])
            .iter()
            .filter_map(|g| {
                let envs: Vec<EntryTarget> = items(g, &["envs"])
                    .iter()
                    .chain(g.get("env"))
                    .filter_map(|e| Some((e, text(e, &[])?)))
                    .map(|(e, path)| resolve_noted(e, "envs", &path))
                    .collect();
                Some(Generator {
                    name: text(g, &["name"])?,
                    namespace: text(g, &["namespace"]),
                    files: items(g, &["files"])
                        .iter()
                        .filter_map(|f| Some((f, text(f, &[])?)))
                        .map(|(entry, f)| {
                            let (key, path) = match f.split_once('=') {
                                Some((key, path)) => (key.to_owned(), path.to_owned()),
                                None => (f.rsplit('/').next().unwrap_or(&f).to_owned(), f.clone()),
                            };
                            let target = resolve_noted(entry, "files", &path);
                            (key, target)
                        })
                        .collect(),
                    literal_keys: items(g, &["literals"])
                        .iter()
                        .filter_map(Node::as_str)
                        .filter_map(|l| l.split_once('=').map(|(key, _)| key.trim().to_owned()))
                        .collect(),
                    env_keys: envs.iter().flat_map(|env| env_keys(root, env)).collect(),
                    envs,
                })
            })
            .collect()
    };
    KustomizeFile {
        kind: text(node, &["kind"]).unwrap_or_else(|| "Kustomization".to_owned()),
        namespace: text(node, &["namespace"]),
        resources,
        components,
        patches: patches(root, node, relative, &dir, notes),
        config_map_generators: generators("configMapGenerator", notes),
        secret_generators: generators("secretGenerator", notes),
        common_labels: string_map(node, &["commonLabels"]),
        common_annotations: string_map(node, &["commonAnnotations"]),
        labels: items(node, &["labels"])
            .iter()
            .flat_map(|entry| string_map(entry, &["pairs"]))
            .collect(),
        at: Location {
            file: relative.to_owned(),
            line: node.at.line,
        },
        dir,
    }
}

/// The keys a generator's env file defines (`KEY=value` lines, `#` comments skipped: the key
/// only); none for a file that is not there, cannot be read or is SOPS-encrypted YAML.
fn env_keys(root: Root<'_>, env: &EntryTarget) -> Vec<String> {
    let EntryTarget::File(path) = env else {
        return Vec::new();
    };
    let Some(text) = root.read_text(path).filter(|text| !is_encrypted(path, text)) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split_once('=').map_or(line, |(key, _)| key).trim().to_owned())
        .collect()
}

/// Every patch of a kustomization, its text read from the file when given by `path`.
fn patches(root: Root<'_>, node: &Node, relative: &str, dir: &str, notes: &mut Vec<Note>) -> Vec<Patch> {
    let at = |line: u32| Location {
        file: relative.to_owned(),
        line,
    };
    let mut read_file = |written: &str, at: Position| -> Option<(String, String)> {
        let resolved = match resolve(root, dir, written) {
            EntryTarget::File(path) => path,
            EntryTarget::OutsideRepository => {
                notes.push(outside_note(relative, at, "patches", written));
                return None;
            }
            _ => {
                notes.push(Note {
                    file: relative.to_owned(),
                    line: Some(at.line),
                    column: Some(at.column),
                    kind: NoteKind::MissingPath,
                    message: format!("the patch file `{written}` does not exist"),
                });
                return None;
            }
        };
        let read = root
            .read(&resolved)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| Unread::NotUtf8));
        match read {
            Ok(text) => Some((text, resolved)),
            Err(unread) => {
                notes.push(Note {
                    file: resolved,
                    line: None,
                    column: None,
                    kind: NoteKind::Unreadable,
                    message: format!("a patch file: {}", unread.reason()),
                });
                None
            }
        }
    };
    let mut found = Vec::new();
    let mut entry = |patch_node: &Node, target: Option<&Node>, found: &mut Vec<Patch>| {
        let (patch, from_file) = if let Some(inline) = text(patch_node, &["patch"]) {
            (inline, None)
        } else if let Some(path) = text(patch_node, &["path"]) {
            match read_file(&path, patch_node.at) {
                Some((text, file)) => (text, Some(file)),
                None => return,
            }
        } else {
            return;
        };
        found.push(Patch {
            patch,
            target: target.map(patch_target),
            from_file,
            at: at(patch_node.at.line),
        });
    };
    for item in items(node, &["patches"]) {
        entry(item, item.get("target"), &mut found);
    }
    for item in items(node, &["patchesJson6902"]) {
        entry(item, item.get("target"), &mut found);
    }
    for item in items(node, &["patchesStrategicMerge"]) {
        let Some(written) = text(item, &[]) else { continue };
        if written.contains('\n') || written.contains(": ") {
            found.push(Patch {
                patch: written,
                target: None,
                from_file: None,
                at: at(item.at.line),
            });
        } else if let Some((patch, file)) = read_file(&written, item.at) {
            found.push(Patch {
                patch,
                target: None,
                from_file: Some(file),
                at: at(item.at.line),
            });
        }
    }
    found
}

/// Whether a document may be a kustomization: kustomize's API group, or no `apiVersion` at
/// all (kustomize accepts that).
pub(super) fn is_kustomize_document(node: &Node) -> bool {
    match text(node, &["apiVersion"]) {
        Some(api_version) => api_version.starts_with("kustomize.config.k8s.io/"),
        None => matches!(node.value, NodeValue::Map(_)),
    }
}

/// The Flux install this remote base is, with its version: the flux2 `manifests/install`
/// kustomization or a release's `install.yaml`.
pub(super) fn flux_install_version(url: &str, reference: Option<&str>) -> Option<Option<String>> {
    if !url.contains("fluxcd/flux2") {
        return None;
    }
    if url.contains("manifests/install") {
        return Some(reference.map(str::to_owned));
    }
    if url.ends_with("/install.yaml") {
        let version = url
            .split_once("/releases/download/")
            .and_then(|(_, rest)| rest.split('/').next())
            .map(str::to_owned);
        return Some(version.or_else(|| reference.map(str::to_owned)));
    }
    None
}

/// The bootstrap install a kustomization is, if it pulls the flux2 install manifests.
pub(super) fn bootstrap_install(file: &KustomizeFile) -> Option<BootstrapInstall> {
    file.resources.iter().find_map(|entry| {
        let EntryTarget::Remote { url, reference } = &entry.target else {
            return None;
        };
        let version = flux_install_version(url, reference.as_deref())?;
        Some(BootstrapInstall {
            url: entry.written.clone(),
            version,
            patches: file.patches.clone(),
            at: file.at.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_bases_keep_their_ref() {
        let root = Root::new(std::path::Path::new("/nonexistent"));
        assert_eq!(
            resolve(
                root,
                "kubernetes/main/bootstrap/flux",
                "github.com/fluxcd/flux2/manifests/install?ref=v2.3.0"
            ),
            EntryTarget::Remote {
                url: "github.com/fluxcd/flux2/manifests/install".into(),
                reference: Some("v2.3.0".into())
            }
        );
        assert_eq!(resolve(root, "a", "../../x"), EntryTarget::OutsideRepository);
        assert_eq!(
            resolve(root, "a/b", "../c.yaml"),
            EntryTarget::Missing("a/c.yaml".into())
        );
        assert_eq!(
            flux_install_version(
                "https://github.com/fluxcd/flux2/releases/download/v2.4.0/install.yaml",
                None
            ),
            Some(Some("v2.4.0".into()))
        );
        assert_eq!(flux_install_version("github.com/fluxcd/flagger/kustomize", None), None);
    }
}
