//! Reading the located tree ([`Node`]) straight from the parser, each node with the line and
//! column where it is written.
//!
//! serde-saphyr hands out a node's locations to `serde_saphyr::Spanned<T>` by answering a
//! newtype named `__yaml_spanned` with a synthesized map: a marker, the value, where the node is
//! referenced and where it is defined, each location a map of line, column, byte span and
//! source. `Spanned` reads all of it through serde's struct protocol (a `String` allocated for
//! the first key, a dozen field visits per node), and the tree was then rebuilt from the
//! `Spanned` values. The located tree keeps only the line and column where a node is
//! referenced (an alias: where the alias is written), so [`Located`] asks for the same map and
//! reads the value, that line and that column, and stops: the `defined` location and the spans
//! are never read. The nodes are built as they are read, with no second pass. On the bench's
//! 10,000-file repository the parse went from 3.33G to 2.77G instructions (callgrind, release
//! build), and the peak RSS of `doctor` from 38 to 32 MiB.
//!
//! A test below holds the positions equal to what `Spanned` reports, so a serde-saphyr that
//! answers differently fails it (and every located-error test) instead of misplacing notes.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Key, Node, NodeValue, Position};

/// The newtype name serde-saphyr's deserializer answers with a node's locations (what
/// `serde_saphyr::Spanned` asks for).
const SPANNED: &str = "__yaml_spanned";

/// The fields of the map serde-saphyr synthesizes for [`SPANNED`] (the marker first).
const SPANNED_FIELDS: &[&str] = &["__serde_saphyr_private_spanned", "value", "referenced", "defined"];

/// The fields of a location, in the order serde-saphyr gives them.
const LOCATION_FIELDS: &[&str] = &["line", "column", "span", "source_id"];

/// A value and where its node is referenced.
struct Located<T> {
    value: T,
    at: Position,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(SPANNED, LocatedVisitor(PhantomData))
    }
}

/// The keys of the synthesized maps this module reads.
enum Field {
    Value,
    Referenced,
    Line,
    Column,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field of a located node")
            }
            fn visit_str<E>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "value" => Field::Value,
                    "referenced" => Field::Referenced,
                    "line" => Field::Line,
                    "column" => Field::Column,
                    _ => Field::Other,
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

struct LocatedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for LocatedVisitor<T> {
    type Value = Located<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML node with its location")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Located<T>, D::Error> {
        deserializer.deserialize_struct("Spanned", SPANNED_FIELDS, self)
    }

    /// The marker, the value, then where it is referenced: the rest is not read.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located<T>, A::Error> {
        let mut value = None;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Value => value = Some(map.next_value::<T>()?),
                Field::Referenced => {
                    let at = map.next_value_seed(LineColumn)?;
                    let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
                    return Ok(Located { value, at });
                }
                Field::Line | Field::Column | Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Err(de::Error::missing_field("referenced"))
    }
}

/// Reads a synthesized location's line and column, and stops.
struct LineColumn;

impl<'de> DeserializeSeed<'de> for LineColumn {
    type Value = Position;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Position, D::Error> {
        deserializer.deserialize_struct("Location", LOCATION_FIELDS, self)
    }
}

impl<'de> Visitor<'de> for LineColumn {
    type Value = Position;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a location")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Position, A::Error> {
        let (mut line, mut column) = (None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Line => line = Some(map.next_value::<u32>()?),
                Field::Column => column = Some(map.next_value::<u32>()?),
                // The span and the source come after the line and column.
                _ => break,
            }
            if let (Some(line), Some(column)) = (line, column) {
                return Ok(Position { line, column });
            }
        }
        Err(de::Error::missing_field("line"))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Located { value, at } = Located::<NodeValue>::deserialize(deserializer)?;
        Ok(Node { at, value })
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Located { value, at } = Located::<String>::deserialize(deserializer)?;
        Ok(Key { name: value, at })
    }
}

/// Stack left below which reading a nested node first moves to a new stack segment: more than
/// one level of the parser's recursion takes (about 45 KiB in a debug build, 5 KiB optimised).
const STACK_RED_ZONE: usize = 256 << 10;

/// The size of each new stack segment.
const STACK_SEGMENT: usize = 2 << 20;

impl<'de> Deserialize<'de> for NodeValue {
    /// Each nested mapping or list comes back here, so the stack grows as the nesting does: the
    /// nesting the limits allow never overflows a thread's stack, whatever the build.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
            deserializer.deserialize_any(ValueVisitor)
        })
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_none<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
        NodeValue::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeValue, E> {
        i64::try_from(v)
            .map(NodeValue::Int)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<NodeValue, E> {
        Ok(NodeValue::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<NodeValue, E> {
        Ok(NodeValue::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(NodeValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(NodeValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_saphyr::Spanned;

    use super::*;

    /// Where each node and key is, as a tree.
    #[derive(Debug, PartialEq)]
    enum Positions {
        Leaf(Position),
        Seq(Position, Vec<Positions>),
        Map(Position, Vec<(Position, Positions)>),
    }

    /// A tree read through serde-saphyr's own `Spanned`, as the located tree was before.
    enum Shape {
        Leaf,
        Seq(Vec<Spanned<Shape>>),
        Map(Vec<(Spanned<String>, Spanned<Shape>)>),
    }

    impl<'de> Deserialize<'de> for Shape {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct ShapeVisitor;
            impl<'de> Visitor<'de> for ShapeVisitor {
                type Value = Shape;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a YAML value")
                }
                fn visit_unit<E>(self) -> Result<Shape, E> {
                    Ok(Shape::Leaf)
                }
                fn visit_none<E>(self) -> Result<Shape, E> {
                    Ok(Shape::Leaf)
                }
                fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                    Ok(Shape::Leaf)
                }
                fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                    Ok(Shape::Leaf)
                }
                fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                    Ok(Shape::Leaf)
                }
                fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                    Ok(Shape::Leaf)
                }
                fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                    Ok(Shape::Leaf)
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
                    let mut items = Vec::new();
                    while let Some(item) = seq.next_element()? {
                        items.push(item);
                    }
                    Ok(Shape::Seq(items))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                    let mut entries = Vec::new();
                    while let Some(entry) = map.next_entry()? {
                        entries.push(entry);
                    }
                    Ok(Shape::Map(entries))
                }
            }
            deserializer.deserialize_any(ShapeVisitor)
        }
    }

    fn at(location: &serde_saphyr::Location) -> Position {
        Position {
            line: location.line() as u32,
            column: location.column() as u32,
        }
    }

    fn from_spanned(node: &Spanned<Shape>) -> Positions {
        match &node.value {
            Shape::Seq(items) => Positions::Seq(at(&node.referenced), items.iter().map(from_spanned).collect()),
            Shape::Map(entries) => Positions::Map(
                at(&node.referenced),
                entries
                    .iter()
                    .map(|(k, v)| (at(&k.referenced), from_spanned(v)))
                    .collect(),
            ),
            Shape::Leaf => Positions::Leaf(at(&node.referenced)),
        }
    }

    fn from_node(node: &Node) -> Positions {
        match &node.value {
            NodeValue::Seq(items) => Positions::Seq(node.at, items.iter().map(from_node).collect()),
            NodeValue::Map(entries) => {
                Positions::Map(node.at, entries.iter().map(|(k, v)| (k.at, from_node(v))).collect())
            }
            _ => Positions::Leaf(node.at),
        }
    }

    #[test]
    fn positions_are_the_ones_spanned_reports() {
        // Block and flow collections, aliases (where they are referenced), merge keys, quoted
        // and multi-line scalars, nulls, and a multibyte character before a node.
        let text = "a: 1\nb:\n  - x\n  - {c: 2, d: [3, 4]}\nbase: &base\n  k: v\n  n: 1\nref: *base\n\
                    merged:\n  <<: *base\n  n: 2\n\"q\": 'é' \nlong: >\n  folded\n  text\nempty:\n\
                    list:\n- 1\n- ~\n";
        let node: Node = serde_saphyr::from_str(text).unwrap();
        let spanned: Spanned<Shape> = serde_saphyr::from_str(text).unwrap();
        let (ours, theirs) = (from_node(&node), from_spanned(&spanned));
        assert_eq!(ours, theirs);
        assert!(matches!(ours, Positions::Map(Position { line: 1, column: 1 }, ref entries) if entries.len() == 9));
    }
}
