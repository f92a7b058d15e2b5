//! The limits every YAML read goes through, and why each one is where it is.
//!
//! The parser's defaults suit configuration files of a few kilobytes. A GitOps repository
//! also holds Helm values files with hundreds of comment lines between two keys, manifests
//! with long commented-out sections, and vendored CRD bundles of megabytes. Each limit is set
//! so that every real file the scanner reads (at most
//! [`MAX_FILE_BYTES`](crate::scan::MAX_FILE_BYTES), 16 MiB) passes, while a hostile one (an
//! alias bomb, thousands of nested brackets, a long string repeated by aliases) still ends in
//! a located error, in bounded memory and time.
//!
//! What the reference data reaches (`../shared`: the Flux manifests 2.4 to 2.9, real CRDs,
//! charts and home-ops repositories): nesting depth 24 (the ExternalSecret CRD), 17,477 nodes
//! in one file (a 566 KB `gotk-components.yaml`), never fewer than 27 bytes of text per node.
//!
//! Comments have no limit: fluxgen never reads their text, so the parser is told not to emit
//! them ([`options`]). It then skips each comment as it scans it, keeping nothing. Emitting
//! them, it buffered the comments that follow an empty value (`key:` or `-`, then comment
//! lines) until it saw what the value holds, and refused a 33rd line ("too many buffered
//! comments while looking ahead"): any chart whose values file comments out a block under a
//! key. A file of comments costs the time to scan its bytes, which the scanner's file size
//! limit bounds.
//!
//! The parser's other limits keep their defaults: keys of at most 1,024 characters (YAML's own
//! limit on implicit keys; Kubernetes caps names and data keys at 253), 255 nested flow
//! collections (more than [`MAX_DEPTH`], which trips first), 50,000 anchors and 50,000
//! aliases (a real file has a few dozen), 10,000 merge keys.

use std::cell::Cell;
use std::rc::Rc;

use serde_saphyr::Options;
use serde_saphyr::budget::BudgetReport;

/// Mappings and lists nested in one another, at most.
///
/// Generated CRD schemas are the deepest real YAML: each Go field adds two levels
/// (`properties`, the field) and each list two more (`items`, `properties`). The deepest file
/// in the reference data nests 24 levels; 128 is five times that. The parser recurses once per
/// level, and the located tree is built on a stack that grows as needed (see
/// `RawNode::deserialize`), so even the deepest nesting allowed fits any thread, and thousands
/// of `[` end in this limit's error, not a stack overflow.
pub(crate) const MAX_DEPTH: usize = 128;

/// Nodes (scalars, mappings, lists) any file may expand to through aliases, whatever its size:
/// the parser's default, which fluxgen used until its files outgrew it.
const BASE_NODES: usize = 250_000;

/// Bytes of a file's text that allow it one more node than [`BASE_NODES`].
///
/// A real file does not expand much beyond its text: the densest real manifests take 27 bytes
/// per node, so a file gets more than three times the nodes its text holds. The parser's
/// default of 250,000 nodes for any file refused real files above about 7 MB, such as a vendored
/// CRD bundle; the largest file the scanner reads may now expand to 2.35 million nodes. A small
/// alias bomb still stops after 250,000 nodes (under 100 MiB of memory), not the billions its
/// aliases multiply to, and a large file costs at most a constant times its size.
const BYTES_PER_NODE: usize = 8;

/// Bytes of scalar text one file may expand to, at most (aliases counted as the text they
/// repeat).
///
/// Without aliases a file's scalars are shorter than the file, at most 16 MiB; four times that
/// leaves room for the anchors a real file repeats, and stops a long string aliased thousands
/// of times at 64 MiB.
pub(crate) const MAX_SCALAR_BYTES: usize = 64 << 20;

/// Documents in one file, at most.
///
/// Rendered bundles hold hundreds of documents, a few thousand at most; the parser's default,
/// 1,024, could refuse one. The smallest real object (`apiVersion`, `kind`, `metadata.name`)
/// takes about 50 bytes, so a 16 MiB file holds fewer than 2^19 of them. What the limit stops
/// is a stream of empty documents (`---` lines), which cost parse time and nothing else.
pub(crate) const MAX_DOCUMENTS: usize = 1 << 19;

/// What a read may still expand to. A stream read document by document (after a syntax error
/// in one of them) shares one allowance, so the documents together stay within the limits of
/// their file instead of each getting its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Allowance {
    /// Nodes: [`BASE_NODES`] and one per [`BYTES_PER_NODE`] bytes of the file.
    pub(crate) nodes: usize,
    /// Bytes of scalar text, at most [`MAX_SCALAR_BYTES`].
    pub(crate) scalar_bytes: usize,
}

impl Allowance {
    /// The whole allowance of a file holding `text`.
    pub(crate) fn of(text: &str) -> Allowance {
        Allowance {
            nodes: BASE_NODES + text.len() / BYTES_PER_NODE,
            scalar_bytes: MAX_SCALAR_BYTES,
        }
    }

    /// What is left after a read that used `used` (a read that breached a limit used all of it).
    #[cfg(feature = "migration")]
    pub(crate) fn after(self, used: Allowance) -> Allowance {
        Allowance {
            nodes: self.nodes.saturating_sub(used.nodes),
            scalar_bytes: self.scalar_bytes.saturating_sub(used.scalar_bytes),
        }
    }

    /// Whether nothing is left: a read within this allowance would fail at its first node.
    #[cfg(feature = "migration")]
    pub(crate) fn is_spent(self) -> bool {
        self.nodes == 0 || self.scalar_bytes == 0
    }

    /// Parser events (the start and end of each mapping, list and document, each scalar and
    /// alias) a read within this allowance may produce. A node takes at most two events and an
    /// alias one, but repeats at least one node, so the events stay under three per node and
    /// two per document: the limits that say what went wrong trip first.
    fn events(self) -> usize {
        3 * self.nodes + 2 * MAX_DOCUMENTS
    }
}

/// The parser options of a read within `allowance`, and the cell where the parser records, once
/// the read ends (whether it succeeds or not), what it used of it.
pub(crate) fn options(allowance: Allowance) -> (Options, Rc<Cell<Allowance>>) {
    let used = Rc::new(Cell::new(Allowance {
        nodes: 0,
        scalar_bytes: 0,
    }));
    let record = Rc::clone(&used);
    let events = allowance.events();
    let options = serde_saphyr::options! {
        // Comments are skipped, not buffered: see the module documentation.
        emit_comments: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: allowance.nodes,
            max_total_scalar_bytes: allowance.scalar_bytes,
            max_documents: MAX_DOCUMENTS,
            max_events: events,
            // Events copied while anchors are recorded and aliases replayed: bounded by the
            // nodes they become, which name the cause.
            max_recorded_anchor_events: events,
            max_recorded_anchor_bytes: allowance.scalar_bytes,
            // The ratio of aliases to anchors says nothing the node and byte limits do not:
            // they bound what aliases expand to, while the ratio refuses a real values file
            // that repeats a few anchors (`*port`, `*app`) a hundred times.
            enforce_alias_anchor_ratio: false,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: events,
        },
    }
    .with_budget_report(move |report: BudgetReport| {
        record.set(Allowance {
            nodes: report.nodes,
            scalar_bytes: report.total_scalar_bytes,
        });
    });
    (options, used)
}

#[cfg(all(test, feature = "migration"))]
mod tests {
    use super::*;
    use crate::yaml::{Position, parse, parse_documents, parse_documents_lenient, parse_value};
    use crate::{Config, Origin};

    /// `count` comment lines at `indent`, numbered from `from`, as a chart's values file writes
    /// them (`##` doc lines, commented-out keys, blank `#` lines).
    fn comments(indent: &str, topic: &str, count: usize) -> String {
        (0..count)
            .map(|i| match i % 4 {
                0 => format!("{indent}## @param {topic} line {i}: what this setting does\n"),
                1 => format!("{indent}# {topic}.option{i}: value  # commented out\n"),
                2 => format!("{indent}#\n"),
                _ => format!("{indent}#   - a commented-out list item ({i})\n"),
            })
            .collect()
    }

    /// A chart's values file: 650 comment lines of header, a block of 40 to 700 comment lines
    /// before every key (after an empty value too, where the parser has to look ahead to know
    /// what the value holds), comments inside nested mappings and lists, trailing comments,
    /// and a commented-out section at the end.
    fn commented_values() -> String {
        let mut text = comments("", "header", 650);
        text.push_str("global:\n");
        text.push_str(&comments("  ", "global.imageRegistry", 120));
        text.push_str("  imageRegistry: \"\"  # empty: use the chart's registry\n");
        text.push_str("image:\n");
        text.push_str(&comments("  ", "image.repository", 520));
        text.push_str("  repository: ghcr.io/example/app\n");
        text.push_str(&comments("  ", "image.tag", 60));
        text.push_str("  tag: \"1.2.3\" # renovate: datasource=docker\n");
        text.push_str("extraVolumes:\n");
        text.push_str(&comments("  ", "extraVolumes", 300));
        text.push_str("  - name: data\n");
        text.push_str(&comments("    ", "extraVolumes[0]", 45));
        text.push_str("    emptyDir: {}\n");
        text.push_str(&comments("  ", "extraVolumes[1]", 200));
        text.push_str("  - name: cache\n");
        text.push_str("resources:\n");
        text.push_str(&comments("  ", "resources", 700));
        text.push_str("affinity:\n");
        text.push_str(&comments("", "tolerations", 90));
        text.push_str("tolerations: []\n");
        text.push_str("ingress:\n");
        text.push_str(&comments("  ", "ingress.enabled", 40));
        text.push_str("  enabled: true\n");
        text.push_str("  hosts:\n");
        text.push_str(&comments("  ", "ingress.hosts", 80));
        text.push_str("  - host: app.example.com\n");
        text.push_str(&comments("", "commented-out metrics section", 500));
        text
    }

    /// A Deployment with a 600-line commented-out sidecar before its container, then a Service.
    fn commented_manifest() -> String {
        let mut text = String::from(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n",
        );
        text.push_str(&comments("        ", "sidecar", 600));
        text.push_str("        - name: web\n          image: nginx:1.27\n");
        text.push_str(&comments("", "trailing", 100));
        text.push_str("---\n");
        text.push_str(&comments("", "service", 50));
        text.push_str("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n");
        text
    }

    /// The line (from 1) of the first line of `text` that is `line`.
    fn line_of(text: &str, line: &str) -> u32 {
        let index = text.lines().position(|l| l == line).expect("the line is in the text");
        u32::try_from(index).unwrap() + 1
    }

    #[test]
    fn long_comment_blocks_are_read_as_the_scanner_reads_files() {
        let text = commented_values();
        assert!(text.lines().count() > 3000, "{} lines", text.lines().count());
        let (documents, errors) = parse_documents_lenient(&text);
        assert_eq!(errors, []);
        let [values] = documents.as_slice() else {
            panic!("one document, not {}", documents.len())
        };
        let json = values.to_json_with_nulls();
        assert_eq!(json["image"]["tag"], "1.2.3");
        assert_eq!(json["global"]["imageRegistry"], "");
        assert_eq!(json["extraVolumes"][0]["emptyDir"], serde_json::json!({}));
        assert_eq!(json["extraVolumes"][1]["name"], "cache");
        assert_eq!(json["resources"], serde_json::Value::Null);
        assert_eq!(json["affinity"], serde_json::Value::Null);
        assert_eq!(json["tolerations"], serde_json::json!([]));
        assert_eq!(json["ingress"]["hosts"][0]["host"], "app.example.com");
        let tag = values.at_path(["image", "tag"]).unwrap();
        let tag_line = line_of(&text, "  tag: \"1.2.3\" # renovate: datasource=docker");
        assert_eq!(
            tag.at,
            Position {
                line: tag_line,
                column: 8
            }
        );
        assert_eq!(parse(&text).unwrap(), *values);

        let manifest = commented_manifest();
        let (documents, errors) = parse_documents_lenient(&manifest);
        assert_eq!(errors, []);
        assert_eq!(documents.len(), 2);
        let container = documents[0]
            .at_path(["spec", "template", "spec", "containers", "0"])
            .unwrap();
        assert_eq!(container.get("image").and_then(|n| n.as_str()), Some("nginx:1.27"));
        assert_eq!(container.at.line, line_of(&manifest, "        - name: web"));
        assert_eq!(documents[1].get("kind").and_then(|n| n.as_str()), Some("Service"));
        assert_eq!(documents[1].at.line, line_of(&manifest, "apiVersion: v1"));
        // Patch text goes through its own entry point.
        let deployment = manifest.split("\n---\n").next().unwrap();
        assert_eq!(parse_value(deployment).unwrap()["kind"], "Deployment");
    }

    #[test]
    fn a_config_with_long_comment_blocks_loads() {
        let text = format!(
            "{}repository:\n{}  url: ssh://git@github.com/example/haynes-ops\nclusters:\n{}  edge: {{}}\n{}",
            comments("", "header", 200),
            comments("  ", "repository.url", 150),
            comments("  ", "clusters", 300),
            comments("", "commented-out defaults", 400),
        );
        let config = Config::from_yaml(&text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}"));
        assert!(config.cluster("edge").is_some());
    }

    /// `depth` block mappings, one in another, around `leaf`.
    fn nested(depth: usize) -> String {
        let mut text: String = (0..depth).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect();
        text.push_str(&format!("{}leaf\n", "  ".repeat(depth)));
        text
    }

    #[test]
    fn nesting_is_read_to_the_limit_and_refused_past_it() {
        // The whole depth, inside the test thread's stack: parse, lenient re-parse, tree walks.
        let deepest = format!("a: 1\n---\n{}---\nb: [\n", nested(MAX_DEPTH - 1));
        let (documents, errors) = parse_documents_lenient(&deepest);
        assert_eq!((documents.len(), errors.len()), (2, 1));
        assert!(documents[1].to_json().is_object());
        assert_eq!(documents[1].merged(&documents[1]), documents[1]);
        let flow = format!("a: {}1{}\n", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(parse(&flow).is_ok());
        assert!(parse_value(&flow).unwrap()["a"].is_array());
        assert!(parse_value(&nested(MAX_DEPTH + 1)).is_err());

        let too_deep = nested(MAX_DEPTH + 1);
        let error = parse_documents(&too_deep).unwrap_err();
        assert_eq!(error.message, "mappings and lists nest too deeply");
        assert_eq!(error.at.line, u32::try_from(MAX_DEPTH).unwrap() + 1, "{error:?}");
        let (kept, errors) = parse_documents_lenient(&format!("a: 1\n---\n{too_deep}"));
        assert_eq!(kept.len(), 1);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].at.line > 2 && errors[0].at.column > 1, "{:?}", errors[0]);
        // Thousands of brackets: a located error, not a stack overflow.
        let brackets = format!("a: {}\n", "[".repeat(10_000));
        let error = parse_documents(&brackets).unwrap_err();
        assert_eq!(error.at.line, 1);
        assert!(error.at.column > 2, "{error:?}");
        assert!(parse(&brackets).is_err());
    }

    /// A billion laughs: `levels` anchors, each a list of ten aliases of the one before.
    fn alias_bomb(levels: usize) -> String {
        let mut bomb = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for level in 1..levels {
            let aliases = vec![format!("*l{}", level - 1); 10].join(", ");
            bomb.push_str(&format!("l{level}: &l{level} [{aliases}]\n"));
        }
        bomb
    }

    #[test]
    fn aliases_expand_within_one_allowance_per_file() {
        // A real values file repeats a few anchors many times.
        let ports: String = (0..150).map(|i| format!("p{i}: *port\n")).collect();
        let document = parse(&format!("port: &port 8080\n{ports}")).unwrap();
        assert_eq!(document.to_json()["p149"], 8080);

        let bomb = alias_bomb(9);
        let error = parse_documents(&bomb).unwrap_err();
        assert!(error.message.contains("alias bomb"), "{error:?}");
        assert!(error.at.line > 1 && error.at.column > 1, "{error:?}");

        // Documents of 123,461 nodes each, under the 250,000 a small file may expand to: a
        // syntax error makes the reader take them one by one, and they share the allowance.
        let under = alias_bomb(5);
        assert!(parse(&under).is_ok());
        let stream = format!("{under}---\n{under}---\n{under}---\nbroken: [\n");
        let (kept, errors) = parse_documents_lenient(&stream);
        assert_eq!(kept.len(), 2);
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message.contains("alias bomb"), "{:?}", errors[0]);
        assert!(errors[0].at.line > 12 && errors[0].at.column > 1, "{:?}", errors[0]);
        // The broken document comes after the allowance is spent: not read.
        let broken = u32::try_from(stream.lines().count()).unwrap() - 1;
        assert_eq!(
            errors[1].at,
            Position {
                line: broken,
                column: 1
            }
        );
        assert!(
            errors[1].message.starts_with("not read: the documents before"),
            "{:?}",
            errors[1]
        );

        // A long string repeated by aliases stops at the limit on scalar text.
        let long = format!(
            "a: &a \"{}\"\nb: [{}]\n",
            "x".repeat(1 << 20),
            vec!["*a"; 100].join(", ")
        );
        let error = parse_documents(&long).unwrap_err();
        assert_eq!(error.message, "the document is too large");
        assert_eq!(error.at.line, 2);
    }

    #[test]
    fn a_file_may_expand_in_proportion_to_its_text() {
        let small = Allowance::of("a: 1\n");
        assert_eq!(small.nodes, BASE_NODES);
        assert!(small.events() > 3 * small.nodes);
        // The largest file the scanner reads, at the densest real 27 bytes per node.
        let largest = usize::try_from(crate::scan::MAX_FILE_BYTES).unwrap();
        assert!(Allowance::of(&"x".repeat(largest)).nodes > 3 * largest / 27);
        assert!(MAX_SCALAR_BYTES >= 4 * largest);
        assert!(MAX_DOCUMENTS > largest / 50);
        let spent = small.after(Allowance {
            nodes: BASE_NODES + 1,
            scalar_bytes: 10,
        });
        assert_eq!(spent.nodes, 0);
        assert_eq!(spent.scalar_bytes, MAX_SCALAR_BYTES - 10);
    }
}
