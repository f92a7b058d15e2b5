//! Reading one YAML file into documents: SOPS-encrypted files recognised (and reduced to the
//! kind, name and data key names of each document), templates and non-YAML text skipped with a
//! note, malformed YAML noted with its line and column while the documents that parse are kept.
//! The `${VAR}` references of every plaintext file are kept, whatever else is skipped. Files
//! larger than [`MAX_FILE_BYTES`] are not read.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

use super::flux_objects::data_keys;
use super::model::{Note, NoteKind, SopsDocument, SopsFile, VariableUse};
use super::variables;
use super::walk::Found;
use crate::yaml::{self, Node, NodeValue, Position};

/// The largest file the scanner reads: 16 MiB. The largest YAML file of the reference
/// repositories is 9 KiB and a whole Flux install (`gotk-components.yaml`, every CRD) is under
/// 1 MiB, so this leaves a wide margin for generated bundles while a stray dump, a disk image
/// named `.yaml` or a device is noted instead of filling memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

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

/// Why a file was not read.
pub(crate) enum Unread {
    /// Larger than [`MAX_FILE_BYTES`]: its size.
    TooLarge(u64),
    /// Not a regular file (a FIFO, a device, a socket).
    NotAFile,
    /// Not UTF-8 text.
    NotUtf8,
    /// The system refused.
    Failed(io::Error),
    /// A symbolic link leading outside the repository: where it leads.
    Outside(std::path::PathBuf),
}

impl Unread {
    /// The reason, for a note.
    pub(crate) fn reason(&self) -> String {
        match self {
            Unread::TooLarge(size) => format!(
                "{} is larger than the {} MiB the scanner reads: not read",
                size_words(*size),
                MAX_FILE_BYTES >> 20
            ),
            Unread::NotAFile => "not a regular file: not read".to_owned(),
            Unread::NotUtf8 => "not UTF-8 text: not read".to_owned(),
            Unread::Failed(error) => format!("cannot read: {error}"),
            Unread::Outside(real) => format!(
                "a symbolic link to `{}`, outside the repository: not followed",
                real.display()
            ),
        }
    }
}

/// A size for people: `20.0 MiB`, `512 KiB`, `12 bytes`.
fn size_words(size: u64) -> String {
    if size >= 1 << 20 {
        format!("{:.1} MiB", size as f64 / f64::from(1 << 20))
    } else if size >= 1 << 10 {
        format!("{} KiB", size >> 10)
    } else {
        format!("{size} bytes")
    }
}

/// Reads a regular file of at most [`MAX_FILE_BYTES`], checking its size before reading (and
/// reading no more than the limit should it grow meanwhile).
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, Unread> {
    let metadata = fs::metadata(path).map_err(Unread::Failed)?;
    if !metadata.is_file() {
        return Err(Unread::NotAFile);
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(Unread::TooLarge(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(Unread::Failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Unread::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads and parses one file, adding notes for what is skipped, and the `${VAR}` references
/// of its text to `variables` (unless it is SOPS-encrypted: of a template, of malformed or
/// binary text too, as Flux would substitute them if the file were applied).
pub(super) fn read(
    found: &Found,
    skip_generated: bool,
    notes: &mut Vec<Note>,
    variables: &mut BTreeMap<String, Vec<VariableUse>>,
) -> Content {
    let note = |at: Option<Position>, kind: NoteKind, message: String| Note {
        file: found.relative.clone(),
        line: at.map(|at| at.line.max(1)),
        column: at.map(|at| at.column.max(1)),
        kind,
        message,
    };
    let bytes = match read_bounded(&found.path) {
        Ok(bytes) => bytes,
        Err(unread) => {
            notes.push(note(None, NoteKind::Unreadable, unread.reason()));
            return Content::Skipped;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let bytes = error.as_bytes();
            let valid = error.utf8_error().valid_up_to();
            notes.push(note(
                Some(position(bytes, valid)),
                NoteKind::NotYaml,
                format!(
                    "not UTF-8 text (byte 0x{:02x}): skipped; save it as UTF-8",
                    bytes[valid]
                ),
            ));
            return Content::Skipped;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if skip_generated && crate::emit::is_generated(text) {
        return Content::Skipped;
    }
    let named_sops = is_sops_name(&found.relative);
    let keep_variables = |into: &mut BTreeMap<String, Vec<VariableUse>>| {
        let uses = variables::uses(text);
        if !uses.is_empty() {
            into.insert(found.relative.clone(), uses);
        }
    };
    if let Some(nul) = text.find('\0') {
        if !named_sops {
            keep_variables(variables);
        }
        notes.push(note(
            Some(position(text.as_bytes(), nul)),
            NoteKind::NotYaml,
            "binary content (a NUL byte): skipped".into(),
        ));
        return Content::Skipped;
    }
    let (documents, errors) = yaml::parse_documents_lenient(text);
    let encrypted = named_sops || documents.iter().any(|d| d.get("sops").is_some());
    if !errors.is_empty() {
        if !encrypted && TEMPLATE_MARKERS.iter().any(|m| text.contains(m)) {
            notes.push(note(
                None,
                NoteKind::Template,
                "templated text that is not YAML: skipped (render the template to scan the result)".into(),
            ));
            keep_variables(variables);
            return Content::Skipped;
        }
        for error in &errors {
            // The parser's message may quote the text; of an encrypted file, say only where.
            let message = if encrypted {
                "malformed YAML in a SOPS-encrypted file: this document is skipped".to_owned()
            } else {
                format!("malformed YAML: {}; this document is skipped", error.message)
            };
            notes.push(note(Some(error.at), NoteKind::Malformed, message));
        }
    }
    if encrypted {
        return Content::Sops(SopsFile {
            file: found.relative.clone(),
            documents: documents.iter().map(sops_document).collect(),
        });
    }
    keep_variables(variables);
    Content::Documents(documents)
}

/// Whether a file read beside the YAML stream (an env or resource file) is SOPS-encrypted as
/// the scanner judges YAML files: a `*.sops.yaml` name, or a document with a `sops` key.
pub(super) fn is_encrypted(relative: &str, text: &str) -> bool {
    is_sops_name(relative)
        || (text.contains("sops")
            && yaml::parse_documents_lenient(text)
                .0
                .iter()
                .any(|d| d.get("sops").is_some()))
}

/// The line and column (in characters, from 1) of the byte at `offset`, which follows valid
/// UTF-8.
fn position(bytes: &[u8], offset: usize) -> Position {
    let before = &bytes[..offset];
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// `*.sops.yaml` / `*.sops.yml` (but not the SOPS configuration file `.sops.yaml` itself).
fn is_sops_name(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    [".sops.yaml", ".sops.yml"]
        .iter()
        .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix))
}

/// The kind, name and data key names of an encrypted document (SOPS encrypts values, not
/// keys); a value SOPS encrypted (`ENC[...]`) is not kept even there.
fn sops_document(node: &Node) -> SopsDocument {
    let plain = |value: Option<&str>| value.filter(|v| !v.starts_with("ENC[")).map(str::to_owned);
    let mut keys = data_keys(node);
    keys.retain(|key| !key.starts_with("ENC["));
    SopsDocument {
        kind: plain(node.get("kind").and_then(Node::as_str)),
        name: plain(node.at_path(["metadata", "name"]).and_then(Node::as_str)),
        line: node.at.line,
        data_keys: keys,
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
            false,
            &mut notes,
            &mut BTreeMap::new(),
        );
        (content, notes)
    }

    #[test]
    fn generated_files_are_left_unparsed_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join("ks.yaml");
        // What fluxgen writes at the start of every file: `---`, the schema line, the marker line.
        let text = format!(
            "---\n# yaml-language-server: $schema=https://example.com/x.json\n{}\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\n",
            crate::emit::MARKER_LINE
        );
        fs::write(&path, text).unwrap();
        let found = Found {
            relative: "ks.yaml".to_owned(),
            path,
        };
        let read_with = |skip| read(&found, skip, &mut Vec::new(), &mut BTreeMap::new());
        assert!(matches!(read_with(true), Content::Skipped));
        assert!(matches!(read_with(false), Content::Documents(_)));
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
    fn malformed_yaml_is_noted_at_its_line_and_column() {
        let (_, notes) = read_text("a.yaml", "a: 1\nb:\n\tc: 2\n");
        assert_eq!(notes[0].kind, NoteKind::Malformed);
        // The parser's position: past the tab, as for a config file.
        assert_eq!((notes[0].line, notes[0].column), (Some(3), Some(2)), "{notes:?}");
        let (_, notes) = read_text("a.yaml", "metadata:\n  name: a\n  name: b\n");
        assert_eq!(
            notes[0].to_string(),
            "a.yaml:3:3: malformed YAML: the key `name` appears twice in the same mapping; this document is skipped"
        );
    }

    #[test]
    fn bytes_that_are_not_text_are_noted_at_the_first_one() {
        let dir = tempfile::tempdir().unwrap();
        for (bytes, expected) in [
            (
                &b"a: 1\nname: caf\xe9\n"[..],
                "f.yaml:2:10: not UTF-8 text (byte 0xe9): skipped; save it as UTF-8",
            ),
            (
                &b"a: \xc3\xa9t\xc3\xa9 \0\n"[..],
                "f.yaml:1:8: binary content (a NUL byte): skipped",
            ),
        ] {
            let path = dir.path().join("f.yaml");
            fs::write(&path, bytes).unwrap();
            let mut notes = Vec::new();
            let found = Found {
                relative: "f.yaml".to_owned(),
                path,
            };
            assert!(matches!(
                read(&found, false, &mut notes, &mut BTreeMap::new()),
                Content::Skipped
            ));
            assert_eq!(notes[0].kind, NoteKind::NotYaml);
            assert_eq!(notes[0].to_string(), expected);
        }
    }

    #[test]
    fn a_file_over_the_limit_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        let found = Found {
            relative: "big.yaml".to_owned(),
            path: path.clone(),
        };
        let file = fs::File::create(&path).unwrap();
        // Sparse files: the size is checked before a byte is read.
        file.set_len(MAX_FILE_BYTES + (1 << 20)).unwrap();
        let mut notes = Vec::new();
        assert!(matches!(
            read(&found, false, &mut notes, &mut BTreeMap::new()),
            Content::Skipped
        ));
        assert_eq!(notes[0].kind, NoteKind::Unreadable);
        assert_eq!(
            notes[0].to_string(),
            "big.yaml: 17.0 MiB is larger than the 16 MiB the scanner reads: not read"
        );
        // At the limit, the file is read (and its NUL bytes noted).
        file.set_len(MAX_FILE_BYTES).unwrap();
        let mut notes = Vec::new();
        read(&found, false, &mut notes, &mut BTreeMap::new());
        assert_eq!(notes[0].kind, NoteKind::NotYaml, "{notes:?}");
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

    #[test]
    fn a_sops_secret_keeps_its_key_names_and_no_value() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\ndata:\n  \
                    TOKEN: ENC[AES256_GCM,data:dG9rZW4=,type:str]\nstringData:\n  \
                    SECRET_DOMAIN: ENC[AES256_GCM,data:ZXhhbXBsZQ==,type:str]\n  \
                    ENC[AES256_GCM,data:a2V5,type:str]: ENC[AES256_GCM,data:dmFs,type:str]\n\
                    sops:\n  mac: ENC[AES256_GCM,data:bWFj,type:str]\n";
        let (content, _) = read_text("vars/cluster-secrets.sops.yaml", text);
        let Content::Sops(file) = content else { panic!() };
        assert_eq!(file.documents[0].data_keys, ["TOKEN", "SECRET_DOMAIN"]);
        let model = format!("{file:?}");
        for value in ["ENC[", "dG9rZW4=", "ZXhhbXBsZQ==", "bWFj"] {
            assert!(!model.contains(value), "`{value}` reached the model: {model}");
        }
    }

    #[test]
    fn the_references_of_plaintext_files_are_kept() {
        let mut variables = BTreeMap::new();
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("a.yaml", "a: ${A}\nb: ${B:=x}\n"),
            ("t.yaml", "a: {{ .x }}\nb: ${T}\n"),
            ("s.sops.yaml", "a: ${S}\nsops: {mac: x}\n"),
            ("e.yaml", "a: ${E}\nsops: {mac: x}\n"),
        ] {
            let path = dir.path().join(name);
            fs::write(&path, text).unwrap();
            let found = Found {
                relative: name.to_owned(),
                path,
            };
            read(&found, false, &mut Vec::new(), &mut variables);
        }
        let names: Vec<(&str, &str, bool)> = variables
            .iter()
            .flat_map(|(file, uses)| {
                uses.iter()
                    .map(move |u| (file.as_str(), u.name.as_str(), u.has_default))
            })
            .collect();
        assert_eq!(
            names,
            [("a.yaml", "A", false), ("a.yaml", "B", true), ("t.yaml", "T", false)]
        );
    }
}
