//! Reading one YAML file into documents: SOPS-encrypted files recognised (and reduced to the
//! kind and name of each document), templates and non-YAML text skipped with a note,
//! malformed YAML noted with its line while the documents that parse are kept.

use std::fs;

use super::model::{Note, NoteKind, SopsDocument, SopsFile};
use super::walk::Found;
use crate::yaml::{self, Node, NodeValue};

/// A file's content as the scanner uses it.
pub(super) enum Content {
    /// Plaintext documents, each with the line it starts on.
    Documents(Vec<Node>),
    /// A SOPS-encrypted file: kinds and names only.
    Sops(SopsFile),
    /// Nothing usable (the reason is noted).
    Skipped,
}

/// Markers of template languages that are not YAML (`{{ }}` Go/Jinja, `#{ }#` makejinja).
const TEMPLATE_MARKERS: [&str; 4] = ["{{", "{%", "#{", "#%"];

/// Reads and parses one file, adding notes for what is skipped.
pub(super) fn read(found: &Found, notes: &mut Vec<Note>) -> Content {
    let note = |line: Option<u32>, kind: NoteKind, message: String| Note {
        file: found.relative.clone(),
        line,
        kind,
        message,
    };
    let bytes = match fs::read(&found.path) {
        Ok(bytes) => bytes,
        Err(error) => {
            notes.push(note(None, NoteKind::Unreadable, format!("cannot read: {error}")));
            return Content::Skipped;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        notes.push(note(None, NoteKind::NotYaml, "not UTF-8 text: skipped".into()));
        return Content::Skipped;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.contains('\0') {
        notes.push(note(None, NoteKind::NotYaml, "binary content: skipped".into()));
        return Content::Skipped;
    }
    let named_sops = is_sops_name(&found.relative);
    let (documents, errors) = yaml::parse_documents_lenient(text);
    let encrypted = named_sops || documents.iter().any(|d| d.get("sops").is_some());
    if !errors.is_empty() {
        if !encrypted && TEMPLATE_MARKERS.iter().any(|m| text.contains(m)) {
            notes.push(note(
                None,
                NoteKind::Template,
                "templated text that is not YAML: skipped (render the template to scan the result)".into(),
            ));
            return Content::Skipped;
        }
        for error in &errors {
            // The parser's message may quote the text; of an encrypted file, say only where.
            let message = if encrypted {
                "malformed YAML in a SOPS-encrypted file: this document is skipped".to_owned()
            } else {
                format!("malformed YAML: {}; this document is skipped", error.message)
            };
            notes.push(note(Some(error.at.line.max(1)), NoteKind::Malformed, message));
        }
    }
    if encrypted {
        return Content::Sops(SopsFile {
            file: found.relative.clone(),
            documents: documents.iter().map(sops_document).collect(),
        });
    }
    Content::Documents(documents)
}

/// `*.sops.yaml` / `*.sops.yml` (but not the SOPS configuration file `.sops.yaml` itself).
fn is_sops_name(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    [".sops.yaml", ".sops.yml"]
        .iter()
        .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix))
}

/// The kind and name of an encrypted document; a value SOPS encrypted (`ENC[...]`) is not
/// kept even there.
fn sops_document(node: &Node) -> SopsDocument {
    let plain = |value: Option<&str>| value.filter(|v| !v.starts_with("ENC[")).map(str::to_owned);
    SopsDocument {
        kind: plain(node.get("kind").and_then(Node::as_str)),
        name: plain(node.at_path(["metadata", "name"]).and_then(Node::as_str)),
        line: node.at.line,
    }
}

/// Whether a document is a mapping (objects and kustomizations are).
pub(super) fn is_mapping(node: &Node) -> bool {
    matches!(node.value, NodeValue::Map(_))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn read_text(name: &str, text: &str) -> (Content, Vec<Note>) {
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join("f.yaml");
        fs::write(&path, text).unwrap();
        let mut notes = Vec::new();
        let content = read(
            &Found {
                relative: name.to_owned(),
                path,
            },
            &mut notes,
        );
        (content, notes)
    }

    #[test]
    fn documents_keep_their_start_lines() {
        let (content, notes) = read_text("a.yaml", "# c\n---\na: 1\n---\n\n---\nb: 2\nc: 3\n");
        let Content::Documents(docs) = content else { panic!() };
        assert!(notes.is_empty());
        assert_eq!(docs.iter().map(|d| d.at.line).collect::<Vec<_>>(), [3, 7]);
    }

    #[test]
    fn a_malformed_document_is_noted_and_the_others_kept() {
        let (content, notes) = read_text("a.yaml", "a: 1\n---\nb: [\n---\nc: 3\n");
        let Content::Documents(docs) = content else { panic!() };
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].at.line, 5);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].kind, NoteKind::Malformed);
        assert!(notes[0].line.is_some_and(|l| (3..=4).contains(&l)), "{notes:?}");
    }

    #[test]
    fn templates_are_skipped() {
        let (content, notes) = read_text("a.yaml", "a: {{ .Values.x }}\nb: {{ y }}\n");
        assert!(matches!(content, Content::Skipped));
        assert_eq!(notes[0].kind, NoteKind::Template);
        // Templating that is valid YAML (an ExternalSecret template) is read.
        let (content, notes) = read_text("a.yaml", "token: \"{{ .github_token }}\"\n");
        assert!(matches!(content, Content::Documents(_)));
        assert!(notes.is_empty());
    }

    #[test]
    fn sops_files_keep_only_kind_and_name() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: ENC[AES256_GCM,data:abc]\nsops:\n  mac: ENC[x]\n";
        let (content, _) = read_text("vars/s.yaml", text);
        let Content::Sops(file) = content else { panic!() };
        assert_eq!(file.documents[0].kind.as_deref(), Some("Secret"));
        assert_eq!(file.documents[0].name.as_deref(), Some("s"));
        assert!(!format!("{file:?}").contains("ENC["));
        let (content, notes) = read_text("vars/s.sops.yaml", "a: [\n");
        assert!(matches!(content, Content::Sops(_)));
        assert!(!notes[0].message.contains('['), "{}", notes[0].message);
        assert!(!is_sops_name(".sops.yaml"));
    }
}
