//! A report for people (grouped by cluster and severity, coloured when asked), for tools (JSON)
//! and for a pull request (Markdown, with the ownership graph as a Mermaid diagram).

use std::fmt::Write;

use serde::Serialize;

use super::{ClusterSummary, Finding, PhaseSource, Report, Severity, escape};

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl Report {
    /// The findings for people: one section per cluster, errors first; ANSI colours when
    /// `color`.
    pub fn to_text(&self, color: bool) -> String {
        let paint = |style: &str, text: &str| {
            if color {
                format!("{style}{text}{RESET}")
            } else {
                text.to_owned()
            }
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}",
            paint(BOLD, &format!("fluxgen doctor: {}", escape::text(&self.repository)))
        );
        match &self.config {
            Some(config) => {
                let _ = writeln!(out, "phases from {}", escape::text(config));
            }
            None => out.push_str("no fluxgen.yaml: phases inferred from the repository\n"),
        }
        for (cluster, findings) in self.sections() {
            out.push('\n');
            let _ = writeln!(out, "{}", paint(BOLD, &escape::text(&heading(cluster))));
            if findings.is_empty() {
                out.push_str("  no findings\n");
            }
            for finding in findings {
                let (style, label) = match finding.severity {
                    Severity::Error => (RED, "error"),
                    Severity::Warning => (YELLOW, "warning"),
                    Severity::Info => (CYAN, "info"),
                };
                let _ = writeln!(
                    out,
                    "  {}[{}] {}",
                    paint(style, label),
                    finding.code,
                    escape::text(&finding.location())
                );
                let _ = writeln!(out, "    {}", escape::text(&finding.what));
                let _ = writeln!(out, "    {} {}", paint(DIM, "why:"), escape::text(&finding.why));
                let _ = writeln!(out, "    {} {}", paint(DIM, "fix:"), escape::text(&finding.fix));
                for related in &finding.related {
                    let _ = writeln!(
                        out,
                        "    {} {} ({})",
                        paint(DIM, "see:"),
                        escape::text(&location(&related.file, related.line)),
                        escape::text(&related.note)
                    );
                }
            }
        }
        out.push('\n');
        let _ = writeln!(out, "{}", self.totals());
        out
    }

    /// The findings as a pull-request comment; with `graph`, the ownership graph as a Mermaid
    /// diagram at the end.
    pub fn to_markdown(&self, graph: bool) -> String {
        let mut out = format!("### fluxgen doctor: {}\n\n", self.totals());
        match &self.config {
            Some(config) => {
                let _ = writeln!(out, "Phases from {}.\n", escape::code(config));
            }
            None => out.push_str("No `fluxgen.yaml`: phases inferred from the repository.\n\n"),
        }
        out.push_str("| cluster | phase | errors | warnings | info |\n|---|---|---|---|---|\n");
        for (cluster, findings) in self.sections() {
            let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
            let name = cluster.map_or("(repository)".to_owned(), |c| {
                c.name
                    .as_deref()
                    .map_or("(single cluster)".to_owned(), |n| escape::cell(&escape::code(n)))
            });
            let phase = cluster.map_or("".to_owned(), |c| escape::cell(&phase_cell(c)));
            let _ = writeln!(
                out,
                "| {name} | {phase} | {} | {} | {} |",
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Info)
            );
        }
        for (cluster, findings) in self.sections() {
            if findings.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n#### {}\n", escape::markdown(&heading(cluster)));
            for finding in findings {
                let icon = match finding.severity {
                    Severity::Error => ":x:",
                    Severity::Warning => ":warning:",
                    Severity::Info => ":information_source:",
                };
                let _ = writeln!(
                    out,
                    "- {icon} **{}** `{}` in {}: {}",
                    finding.severity,
                    finding.code,
                    escape::code(&finding.location()),
                    escape::markdown(&finding.what)
                );
                let _ = writeln!(out, "  - why: {}", escape::markdown(&finding.why));
                let _ = writeln!(out, "  - fix: {}", escape::markdown(&finding.fix));
                for related in &finding.related {
                    let _ = writeln!(
                        out,
                        "  - see {}: {}",
                        escape::code(&location(&related.file, related.line)),
                        escape::markdown(&related.note)
                    );
                }
            }
        }
        if graph {
            let _ = write!(
                out,
                "\n<details><summary>Ownership graph</summary>\n\n```mermaid\n{}```\n\n</details>\n",
                self.graph.mermaid()
            );
        }
        out
    }

    /// The report as JSON; with `graph`, the Mermaid diagram as `graph`.
    pub fn to_json(&self, graph: bool) -> String {
        #[derive(Serialize)]
        struct Summary {
            errors: usize,
            warnings: usize,
            info: usize,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Json<'a> {
            #[serde(flatten)]
            report: &'a Report,
            summary: Summary,
            #[serde(skip_serializing_if = "Option::is_none")]
            graph: Option<String>,
        }
        let json = Json {
            report: self,
            summary: Summary {
                errors: self.count(Severity::Error),
                warnings: self.count(Severity::Warning),
                info: self.count(Severity::Info),
            },
            graph: graph.then(|| self.graph.mermaid()),
        };
        let mut text = serde_json::to_string_pretty(&json).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }

    /// `2 errors, 1 warning, 3 info`.
    fn totals(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {}, {} info",
            plural(self.count(Severity::Error), "error"),
            plural(self.count(Severity::Warning), "warning"),
            self.count(Severity::Info)
        )
    }

    /// Each cluster with its findings (errors first), then findings of no cluster.
    fn sections(&self) -> Vec<(Option<&ClusterSummary>, Vec<&Finding>)> {
        let mut sections: Vec<(Option<&ClusterSummary>, Vec<&Finding>)> = self
            .clusters
            .iter()
            .map(|cluster| {
                let findings = self.findings.iter().filter(|f| f.cluster == cluster.name).collect();
                (Some(cluster), findings)
            })
            .collect();
        let known: Vec<&Option<String>> = self.clusters.iter().map(|c| &c.name).collect();
        let rest: Vec<&Finding> = self.findings.iter().filter(|f| !known.contains(&&f.cluster)).collect();
        if !rest.is_empty() {
            sections.push((None, rest));
        }
        for (_, findings) in &mut sections {
            findings.sort_by_key(|f| (f.severity, f.code, f.file.clone(), f.line));
        }
        sections
    }
}

fn heading(cluster: Option<&ClusterSummary>) -> String {
    let Some(cluster) = cluster else {
        return "elsewhere in the repository".to_owned();
    };
    let name = match &cluster.name {
        Some(name) => format!("cluster {name}"),
        None => "the cluster".to_owned(),
    };
    match (cluster.phase, cluster.phase_source) {
        (Some(phase), PhaseSource::Config) => format!("{name}: phase {phase} (fluxgen.yaml)"),
        (Some(phase), _) => format!("{name}: phase {phase} (inferred: {})", cluster.phase_reason),
        (None, _) => format!("{name}: phase unknown ({})", cluster.phase_reason),
    }
}

fn phase_cell(cluster: &ClusterSummary) -> String {
    match (cluster.phase, cluster.phase_source) {
        (Some(phase), PhaseSource::Config) => format!("`{phase}`"),
        (Some(phase), _) => format!("`{phase}` (inferred)"),
        (None, _) => "unknown".to_owned(),
    }
}

impl Finding {
    /// `file:line:column`, or as much of it as is known.
    fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.file),
            _ => location(&self.file, self.line),
        }
    }
}

fn location(file: &str, line: Option<u32>) -> String {
    match line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_owned(),
    }
}
