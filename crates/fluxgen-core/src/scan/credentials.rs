//! URLs with credentials in a repository: a GitRepository `https://oauth2:<token>@...`, a
//! FluxInstance sync URL with a password. Each is noted at its line without its value, and the
//! model keeps the URL without them, so that nothing `import` writes and nothing `doctor`
//! prints repeats them.

use super::model::{Note, NoteKind};
use crate::yaml::Node;

/// The URL fields of Flux objects and FluxInstances (manifest `spec.sync.url`, chart values
/// `spec.values.instance.sync.url`).
const URL_FIELDS: [&[&str]; 4] = [
    &["spec", "url"],
    &["spec", "address"],
    &["spec", "sync", "url"],
    &["spec", "values", "instance", "sync", "url"],
];

/// Notes every URL field of `document` that carries credentials.
pub(super) fn check(document: &Node, file: &str, notes: &mut Vec<Note>) {
    for path in URL_FIELDS {
        let Some(node) = document.at_path(path.iter().copied()) else {
            continue;
        };
        if node.as_str().is_some_and(crate::url::has_credentials) {
            notes.push(note(file, node, &path.join(".")));
        }
    }
}

/// The note for a URL with credentials at `node`, naming the field, never the value.
pub(super) fn note(file: &str, node: &Node, field: &str) -> Note {
    Note {
        file: file.to_owned(),
        line: Some(node.at.line),
        column: Some(node.at.column),
        kind: NoteKind::Credentials,
        message: format!(
            "`{field}` carries credentials in its user part (not shown); fluxgen reads the URL without them"
        ),
    }
}
