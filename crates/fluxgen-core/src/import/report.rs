//! What import did: each decision and translation, what it dropped and why, and everything it
//! left for the user, with the file and line it came from.

use std::fmt;

use serde::Serialize;

use crate::scan::Location;

/// The import report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ImportReport {
    /// The entries, in the order import made them.
    pub entries: Vec<ReportEntry>,
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReportEntry {
    /// The cluster it concerns (`None`: the whole repository).
    pub cluster: Option<String>,
    /// What kind of entry.
    pub kind: EntryKind,
    /// What happened, and what to do where something is left.
    pub message: String,
    /// Where the translated or left-behind thing is written.
    pub at: Option<Location>,
}

/// Kinds of report entries, in the order the report lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EntryKind {
    /// A choice import made where the repository does not decide (with the alternative).
    Decision,
    /// Something translated into the config.
    Translated,
    /// Something dropped on purpose (the operator does it, or it would break).
    Dropped,
    /// Something import cannot express: it stays as it is in the repository, or needs a hand.
    NotTranslated,
    /// Something to check before the next phase.
    Warning,
}

impl EntryKind {
    fn heading(self) -> &'static str {
        match self {
            EntryKind::Decision => "decisions",
            EntryKind::Translated => "translated",
            EntryKind::Dropped => "dropped",
            EntryKind::NotTranslated => "not translated (left as it is, or to do by hand)",
            EntryKind::Warning => "warnings",
        }
    }
}

impl ImportReport {
    pub(super) fn push(&mut self, cluster: Option<&str>, kind: EntryKind, message: String, at: Option<&Location>) {
        self.entries.push(ReportEntry {
            cluster: cluster.map(str::to_owned),
            kind,
            message,
            at: at.cloned(),
        });
    }

    /// The entries of one cluster (`None`: the repository-wide ones) and kind.
    pub fn of(&self, cluster: Option<&str>, kind: EntryKind) -> impl Iterator<Item = &ReportEntry> {
        self.entries
            .iter()
            .filter(move |e| e.cluster.as_deref() == cluster && e.kind == kind)
    }
}

/// Sections for the repository, then per cluster, each grouped by kind.
impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut clusters: Vec<Option<&str>> = vec![None];
        for entry in &self.entries {
            let cluster = entry.cluster.as_deref();
            if !clusters.contains(&cluster) {
                clusters.push(cluster);
            }
        }
        let kinds = [
            EntryKind::Decision,
            EntryKind::Translated,
            EntryKind::Dropped,
            EntryKind::NotTranslated,
            EntryKind::Warning,
        ];
        let mut first = true;
        for cluster in clusters {
            if !self.entries.iter().any(|e| e.cluster.as_deref() == cluster) {
                continue;
            }
            if !first {
                writeln!(f)?;
            }
            first = false;
            match cluster {
                None => writeln!(f, "repository")?,
                Some(name) => writeln!(f, "cluster {name}")?,
            }
            for kind in kinds {
                let entries: Vec<&ReportEntry> = self.of(cluster, kind).collect();
                if entries.is_empty() {
                    continue;
                }
                writeln!(f, "  {}:", kind.heading())?;
                for entry in entries {
                    match &entry.at {
                        Some(at) => writeln!(f, "    - {at}: {}", entry.message)?,
                        None => writeln!(f, "    - {}", entry.message)?,
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_cluster_then_kind() {
        let mut report = ImportReport::default();
        let at = Location {
            file: "k/flux.yaml".into(),
            line: 3,
        };
        report.push(Some("main"), EntryKind::Warning, "w".into(), None);
        report.push(None, EntryKind::Decision, "d".into(), None);
        report.push(Some("main"), EntryKind::Translated, "t".into(), Some(&at));
        assert_eq!(
            report.to_string(),
            "repository\n  decisions:\n    - d\n\ncluster main\n  translated:\n    - k/flux.yaml:3: t\n  warnings:\n    - w\n"
        );
    }
}
