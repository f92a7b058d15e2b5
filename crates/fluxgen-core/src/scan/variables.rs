//! `${VAR}` references: what Flux's `postBuild` substitution replaces in the files a
//! Kustomization applies. The scanner finds them in the text of every plaintext YAML file as it
//! reads it ([`uses`]), and in the other files a `kustomization.yaml` lists as resources or
//! components (JSON manifests, files the walk does not enter: [`resource_files`]), so nothing
//! needs the text again. SOPS-encrypted files are never searched.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::boundary::read_text;
use super::documents::is_encrypted;
use super::kustomize_graph::{EntryTarget, KustomizeFile};
use super::model::VariableUse;
use crate::facts::SUBSTITUTE_ANNOTATION;

/// Every `${NAME}` reference of a text, with its line: with a default (`${NAME:=x}`), or
/// without one and followed by what Flux reads as the end of a name (`}`, or an operator such
/// as `:`, `^`, `,`, `#`, `%`, `/`). `$${...}` escapes and documents with
/// `kustomize.toolkit.fluxcd.io/substitute: disabled` are skipped.
pub(super) fn uses(text: &str) -> Vec<VariableUse> {
    let mut found = Vec::new();
    if !text.contains("${") {
        return found;
    }
    let mut first_line = 1;
    for document in documents(text) {
        let lines = document.lines().count();
        let disabled = document
            .lines()
            .any(|l| l.contains(SUBSTITUTE_ANNOTATION) && l.contains("disabled"));
        if !disabled && document.contains("${") {
            for (index, line) in document.lines().enumerate() {
                line_uses(line, first_line + index, &mut found);
            }
        }
        first_line += lines;
    }
    // Kept as long as the repository: no spare capacity.
    found.shrink_to_fit();
    found
}

/// The documents of a text as Flux's substitution sees them: each starts at a line beginning
/// with `---` (the first at the text's start), and holds its lines up to the next.
fn documents(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        // The next line after the first that starts with `---`.
        let mut offset = 0;
        let mut end = None;
        for line in current.split_inclusive('\n') {
            if offset > 0 && line.starts_with("---") {
                end = Some(offset);
                break;
            }
            offset += line.len();
        }
        match end {
            Some(end) => {
                rest = Some(&current[end..]);
                Some(&current[..end])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The references of one line (numbered from 1).
fn line_uses(line: &str, number: usize, found: &mut Vec<VariableUse>) {
    let bytes = line.as_bytes();
    let mut at = 0;
    while let Some(offset) = line[at..].find("${") {
        let begin = at + offset;
        at = begin + 2;
        if begin > 0 && bytes[begin - 1] == b'$' {
            continue;
        }
        let rest = &line[begin + 2..];
        let name_len = rest
            .char_indices()
            .find(|(i, c)| !(c.is_ascii_alphanumeric() || *c == '_') || (*i == 0 && c.is_ascii_digit()))
            .map_or(rest.len(), |(i, _)| i);
        if name_len == 0 {
            continue;
        }
        let after = &rest[name_len..];
        let has_default =
            after.starts_with(":=") || after.starts_with(":-") || after.starts_with('=') || after.starts_with('-');
        if has_default || after.starts_with(['}', ':', '^', ',', '#', '%', '/']) {
            found.push(VariableUse {
                name: rest[..name_len].to_owned(),
                has_default,
                line: u32::try_from(number).unwrap_or(u32::MAX),
            });
        }
    }
}

/// Adds the references of the files `kustomization.yaml`s list as resources or components that
/// the walk did not read (not in the sorted `yaml_files`): a `.json` manifest, a file in a
/// hidden directory. Each is read once, bounded, and skipped when it is SOPS-encrypted.
pub(super) fn resource_files(
    root: &Path,
    kustomize_files: &BTreeMap<String, KustomizeFile>,
    yaml_files: &[String],
    variables: &mut BTreeMap<String, Vec<VariableUse>>,
) {
    let mut read = HashSet::new();
    for file in kustomize_files.values() {
        for entry in file.resources.iter().chain(&file.components) {
            let EntryTarget::File(path) = &entry.target else {
                continue;
            };
            if yaml_files.binary_search(path).is_ok() || !read.insert(path.as_str()) {
                continue;
            }
            let Some(text) = read_text(root, path) else {
                continue;
            };
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let found = uses(text);
            if !found.is_empty() && !is_encrypted(path, text) {
                variables.insert(path.clone(), found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_with_and_without_defaults() {
        let text = "a: ${A}\nb: ${B:=x}\nc: $${C}\nd: ${D:-y} ${E}\ne: ${1X} ${F!} ${G:1:2}\n---\nmetadata:\n  \
                    labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nf: ${F}\n";
        let uses = uses(text);
        let found: Vec<(&str, bool, u32)> = uses.iter().map(|u| (u.name.as_str(), u.has_default, u.line)).collect();
        assert_eq!(
            found,
            [
                ("A", false, 1),
                ("B", true, 2),
                ("D", true, 4),
                ("E", false, 4),
                ("G", false, 5)
            ]
        );
        assert!(super::uses("no references: $HOME, $${ESCAPED}\n").is_empty());
    }
}
