//! Located parsing: a YAML value that remembers where each node and key came from, for the
//! config's errors and the scanner's findings.

use serde_json::Value;

use super::limits::{self, Allowance};

mod read_node;

/// A position in a YAML source, 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
}

/// A YAML value that remembers where each node and key came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) at: Position,
    pub(crate) value: NodeValue,
}

/// A node serializes as the value it holds, mappings in the order they were written (how a
/// settings layer is written: see `config::layer`).
#[cfg(feature = "migration")]
impl serde::Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.value {
            NodeValue::Null => serializer.serialize_unit(),
            NodeValue::Bool(b) => serializer.serialize_bool(*b),
            NodeValue::Int(i) => serializer.serialize_i64(*i),
            NodeValue::Float(f) => serializer.serialize_f64(*f),
            NodeValue::Str(s) => serializer.serialize_str(s),
            NodeValue::Seq(items) => serializer.collect_seq(items),
            NodeValue::Map(entries) => serializer.collect_map(entries.iter().map(|(k, v)| (&k.name, v))),
        }
    }
}

/// The shapes of a YAML node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Key {
    pub(crate) name: String,
    pub(crate) at: Position,
}

/// A YAML syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) at: Position,
    pub(crate) message: String,
}

/// Parses one YAML document into a located tree. Aliases are expanded within the
/// [limits](limits) of one file, so an alias bomb is an error, not an allocation storm.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let (options, _) = limits::options(Allowance::of(text));
    match serde_saphyr::from_str_with_options::<Option<Node>>(text, options) {
        Ok(Some(root)) => Ok(root),
        Ok(None) => Ok(Node {
            at: Position { line: 1, column: 1 },
            value: NodeValue::Null,
        }),
        Err(error) => {
            let SyntaxError { at, message } = syntax_error(&error);
            let reason = if message.starts_with("multiple YAML documents detected") {
                "a second YAML document starts here (after a `---` line): the file must be one document".to_owned()
            } else {
                message
            };
            Err(SyntaxError { at, message: reason })
        }
    }
}

impl Node {
    /// The node as JSON, for schema validation and deserialization.
    pub(crate) fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            // In fluxgen.yaml a key set to `null` is a key not set.
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .filter(|(_, v)| v.value != NodeValue::Null)
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A tree with no source positions (every position 0:0), for a document fluxgen writes out
    /// itself: a config built in code, checked by the loader's rules.
    pub(crate) fn from_json(value: &Value) -> Node {
        let value = match value {
            Value::Null => NodeValue::Null,
            Value::Bool(b) => NodeValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => NodeValue::Int(i),
                None => NodeValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => NodeValue::Str(s.clone()),
            Value::Array(items) => NodeValue::Seq(items.iter().map(Node::from_json).collect()),
            Value::Object(entries) => NodeValue::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = Key {
                            name: k.clone(),
                            at: Position::default(),
                        };
                        (key, Node::from_json(v))
                    })
                    .collect(),
            ),
        };
        Node {
            at: Position::default(),
            value,
        }
    }

    /// The node as JSON with keys set to `null` kept, for patches (where `null` deletes).
    pub(crate) fn to_json_with_nulls(&self) -> Value {
        match &self.value {
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json_with_nulls).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json_with_nulls()))
                    .collect(),
            ),
            _ => self.to_json(),
        }
    }

    /// The child at a map key.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, node)| node)
    }

    /// The key and child at a map key.
    pub(crate) fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The node at a JSON pointer's segments (map keys or list indexes).
    pub(crate) fn at_path<'a>(&self, segments: impl IntoIterator<Item = &'a str>) -> Option<&Node> {
        let mut node = self;
        for segment in segments {
            node = match &node.value {
                NodeValue::Map(_) => node.get(segment)?,
                NodeValue::Seq(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// A short name of the node's type for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) => "an integer",
            NodeValue::Float(_) => "a number",
            NodeValue::Str(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }

    /// Deep-merges `over` onto `self`: mappings merge key by key, everything else is replaced.
    pub(crate) fn merged(&self, over: &Node) -> Node {
        match (&self.value, &over.value) {
            (NodeValue::Map(base), NodeValue::Map(top)) => {
                let mut entries = base.clone();
                for (key, value) in top {
                    let existing = entries.iter().position(|(k, _)| k.name == key.name);
                    match (existing, &value.value) {
                        // As in a JSON merge patch, `null` removes what was inherited.
                        (Some(index), NodeValue::Null) => {
                            entries.remove(index);
                        }
                        (None, NodeValue::Null) => {}
                        (Some(index), _) => entries[index].1 = entries[index].1.merged(value),
                        (None, _) => entries.push((key.clone(), value.clone())),
                    }
                }
                Node {
                    at: over.at,
                    value: NodeValue::Map(entries),
                }
            }
            _ => over.clone(),
        }
    }
}

/// Parses a stream of YAML documents into located trees, one per non-empty document; each
/// tree's position is where its document's content starts. Aliases are expanded within the
/// limits of one file, as [`parse`] does. The first error fails the whole stream.
#[cfg(feature = "migration")]
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Node>, SyntaxError> {
    parse_documents_within(text, Allowance::of(text)).0
}

/// [`parse_documents`] within `allowance`, with what the read used of it (all of it when the
/// read breached it).
#[cfg(feature = "migration")]
fn parse_documents_within(text: &str, allowance: Allowance) -> (Result<Vec<Node>, SyntaxError>, Allowance) {
    let (options, used) = limits::options(allowance);
    let result = match serde_saphyr::from_multiple_with_options::<Node>(text, options) {
        Ok(documents) => Ok(documents),
        Err(error) => {
            let SyntaxError { at, message } = syntax_error(&error);
            let message = budget_reason(&message).map_or(message, str::to_owned);
            Err(SyntaxError { at, message })
        }
    };
    (result, used.get())
}

/// The parser's budget breaches (`budget breached: Nodes { nodes: 250001 }`) in words.
#[cfg(feature = "migration")]
fn budget_reason(message: &str) -> Option<&'static str> {
    let breach = message.strip_prefix("budget breached: ")?;
    Some(if breach.starts_with("Depth") {
        "mappings and lists nest too deeply"
    } else if breach.starts_with("ScalarBytes") || breach.starts_with("InputBytes") {
        "the document is too large"
    } else {
        "the document expands to too many nodes (anchors and aliases multiplying: an alias bomb?)"
    })
}

/// Parses a stream of YAML documents, keeping every document that parses: when the stream as
/// a whole does not, each document (text between `---` marker lines) is parsed on its own and
/// the failing ones are returned as errors with their line in the whole text. The documents
/// share the limits of one file: what one expands to (kept or not) is no longer there for the
/// next, so a stream of alias bombs each just under the limits costs what one file may.
#[cfg(feature = "migration")]
pub(crate) fn parse_documents_lenient(text: &str) -> (Vec<Node>, Vec<SyntaxError>) {
    match parse_documents(text) {
        Ok(documents) => (documents, Vec::new()),
        Err(whole) => {
            let chunks = split_documents(text);
            if chunks.len() < 2 {
                return (Vec::new(), vec![whole]);
            }
            let mut documents = Vec::new();
            let mut errors = Vec::new();
            let mut left = Allowance::of(text);
            for (offset, chunk) in chunks {
                if left.is_spent() {
                    errors.push(SyntaxError {
                        at: Position {
                            line: offset + 1,
                            column: 1,
                        },
                        message: "not read: the documents before this one expand to all the nodes or text one \
                                  file may hold (anchors and aliases multiplying: an alias bomb?)"
                            .to_owned(),
                    });
                    continue;
                }
                let (parsed, used) = parse_documents_within(chunk, left);
                left = left.after(used);
                match parsed {
                    Ok(parsed) => documents.extend(parsed.into_iter().map(|node| node.shifted(offset))),
                    Err(mut error) => {
                        error.at.line += offset;
                        errors.push(error);
                    }
                }
            }
            (documents, errors)
        }
    }
}

/// The documents of a stream as `(lines before it, text)`, split at `---` marker lines.
#[cfg(feature = "migration")]
fn split_documents(text: &str) -> Vec<(u32, &str)> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut offset = 0usize;
    for (line, piece) in (0u32..).zip(text.split_inclusive('\n')) {
        let content = piece.trim_end_matches(['\n', '\r']);
        if (content == "---" || content.starts_with("--- ") || content.starts_with("---\t")) && offset > start {
            chunks.push((start_line, &text[start..offset]));
            start = offset;
            start_line = line;
        }
        offset += piece.len();
    }
    chunks.push((start_line, &text[start..]));
    chunks
}

/// The position and reason of a parser error, without the source snippet the library adds and
/// with a duplicate key in words. An error with no location (a number too large for the whole document, say) is about the
/// document itself: it starts at line 1.
fn syntax_error(error: &serde_saphyr::Error) -> SyntaxError {
    let at = error.location().map_or(Position { line: 1, column: 1 }, |l| Position {
        line: l.line() as u32,
        column: l.column() as u32,
    });
    let message = error.to_string();
    let first = message.lines().next().unwrap_or_default();
    let reason = first.split_once(": ").map_or(first, |(_, r)| r);
    let reason = reason
        .strip_prefix(&format!("line {} column {}: ", at.line, at.column))
        .unwrap_or(reason);
    let reason = reason.trim_end_matches(", set DuplicateKeyPolicy in Options if acceptable");
    let message = match reason.strip_prefix("duplicate mapping key: ") {
        Some(key) => format!("the key `{key}` appears twice in the same mapping"),
        None => reason.to_owned(),
    };
    SyntaxError { at, message }
}

impl Node {
    /// The node with every position moved down by `lines`.
    #[cfg(feature = "migration")]
    fn shifted(mut self, lines: u32) -> Node {
        self.at.line += lines;
        match &mut self.value {
            NodeValue::Seq(items) => {
                *items = std::mem::take(items).into_iter().map(|n| n.shifted(lines)).collect();
            }
            NodeValue::Map(entries) => {
                *entries = std::mem::take(entries)
                    .into_iter()
                    .map(|(mut key, value)| {
                        key.at.line += lines;
                        (key, value.shifted(lines))
                    })
                    .collect();
            }
            _ => {}
        }
        self
    }

    /// The node's text when it is a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }
}
