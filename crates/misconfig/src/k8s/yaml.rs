//! A YAML (and JSON) document loader that keeps the line and column of every node and refuses
//! hostile input with an error naming the line: alias expansion bombs ("billion laughs"),
//! deep nesting, huge scalars and duplicate mapping keys. Built on `saphyr-parser`'s event
//! stream, so our own builder decides what to keep.
//!
//! Scalars resolve as Kubernetes' YAML library does (YAML 1.1 booleans `yes`/`on` included),
//! and `<<` merge keys are applied.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

/// Limits against hostile input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Most nodes one file may produce, alias expansions included.
    pub max_nodes: usize,
    /// Longest scalar in bytes.
    pub max_scalar_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_nodes: 1_000_000,
            max_scalar_bytes: 4 * 1024 * 1024,
        }
    }
}

/// A load error: 1-based line and column and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// 1-based last line the node spans.
    pub end_line: usize,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~`, empty.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// String.
    Str(String),
    /// Sequence.
    Seq(Vec<Node>),
    /// Mapping, in document order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The node as JSON (mapping keys that are not strings are written as their text), for
    /// engines that take plain JSON such as Rego.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match k.to_json() {
                            J::String(s) => s,
                            other => other.to_string(),
                        };
                        (key, v.to_json())
                    })
                    .collect(),
            ),
        }
    }

    /// Value at `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }

    /// The string, for string scalars.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, for booleans.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, for integers.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(v) => v,
            _ => &[],
        }
    }

    /// Entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The scalar as text (strings, numbers, booleans).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn count(&self) -> usize {
        1 + match &self.value {
            Value::Seq(v) => v.iter().map(Node::count).sum(),
            Value::Map(m) => m.iter().map(|(k, v)| k.count() + v.count()).sum(),
            _ => 0,
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// Parallel to `entries`: the entry came from a `<<` merge (explicit keys replace it).
        merged: Vec<bool>,
        /// Key → entry index, built once a mapping grows past [`INDEX_AT`] entries.
        index: Option<HashMap<String, usize>>,
        start: Span,
        anchor: usize,
    },
}

fn err(span: &Span, message: impl Into<String>) -> LoadError {
    LoadError {
        line: span.start.line(),
        column: span.start.col() + 1,
        message: message.into(),
    }
}

/// Loads every document of a YAML stream. Empty documents are skipped.
pub fn load_all(text: &str, limits: Limits) -> Result<Vec<Node>, LoadError> {
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut nodes = 0usize;
    while let Some(ev) = parser.next_event() {
        let (event, span) = ev.map_err(|e| LoadError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let finished: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                anchors.clear();
                None
            }
            Event::DocumentEnd => None,
            Event::Alias(id) => {
                let (node, size) = anchors
                    .get(&id)
                    .ok_or_else(|| err(&span, "alias to an unknown anchor"))?;
                nodes = nodes.saturating_add(*size);
                if nodes > limits.max_nodes {
                    return Err(err(
                        &span,
                        format!(
                            "alias expansion exceeds {} nodes (an alias bomb such as \"billion laughs\"?)",
                            limits.max_nodes
                        ),
                    ));
                }
                let mut n = node.clone();
                n.line = span.start.line();
                n.column = span.start.col() + 1;
                n.end_line = n.line;
                Some((n, 0))
            }
            Event::Scalar(text, style, anchor, tag) => {
                if text.len() > limits.max_scalar_bytes {
                    return Err(err(
                        &span,
                        format!(
                            "scalar of {} bytes exceeds the {}-byte limit",
                            text.len(),
                            limits.max_scalar_bytes
                        ),
                    ));
                }
                nodes += 1;
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == ScalarStyle::Plain && !forced_str {
                    resolve_plain(&text)
                } else {
                    Value::Str(text.into_owned())
                };
                // Block scalars end at the start of the next line.
                let end = if span.end.col() == 0 && span.end.line() > span.start.line() {
                    span.end.line() - 1
                } else {
                    span.end.line()
                };
                Some((
                    Node {
                        value,
                        line: span.start.line(),
                        column: span.start.col() + 1,
                        end_line: end.max(span.start.line()),
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= limits.max_depth {
                    return Err(err(
                        &span,
                        format!("nesting deeper than {} levels", limits.max_depth),
                    ));
                }
                nodes += 1;
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        start: span,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        merged: Vec::new(),
                        index: None,
                        start: span,
                        anchor,
                    }
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    start,
                    anchor,
                }) => Some((
                    Node {
                        end_line: items
                            .last()
                            .map_or(span.end.line(), |n| n.end_line)
                            .max(start.start.line()),
                        value: Value::Seq(items),
                        line: start.start.line(),
                        column: start.start.col() + 1,
                    },
                    anchor,
                )),
                _ => return Err(err(&span, "unbalanced sequence end")),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    start,
                    anchor,
                    ..
                }) => Some((
                    Node {
                        end_line: entries
                            .last()
                            .map_or(span.end.line(), |(_, v)| v.end_line)
                            .max(start.start.line()),
                        value: Value::Map(entries),
                        line: start.start.line(),
                        column: start.start.col() + 1,
                    },
                    anchor,
                )),
                _ => return Err(err(&span, "unbalanced mapping end")),
            },
        };
        if nodes > limits.max_nodes {
            return Err(err(&span, format!("more than {} nodes", limits.max_nodes)));
        }
        let Some((node, anchor)) = finished else {
            continue;
        };
        if anchor != 0 {
            let size = node.count();
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            None => {
                if !node.is_null() {
                    docs.push(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                merged,
                index,
                ..
            }) => match key.take() {
                // Keys are strings in Kubernetes objects, whatever they look like.
                None => {
                    let mut node = node;
                    if let Some(text) = node.scalar_text() {
                        node.value = Value::Str(text);
                    }
                    *key = Some(node)
                }
                Some(k) => insert(entries, merged, index, k, node)?,
            },
        }
    }
    Ok(docs)
}

/// Mappings with this many entries get a hash index for duplicate detection; smaller ones
/// (nearly all in Kubernetes objects) are scanned linearly, which allocates nothing.
const INDEX_AT: usize = 16;

fn find_key(
    entries: &[(Node, Node)],
    index: &Option<HashMap<String, usize>>,
    key: &str,
) -> Option<usize> {
    match index {
        Some(ix) => ix.get(key).copied(),
        None => entries.iter().position(|(k, _)| k.as_str() == Some(key)),
    }
}

fn push_entry(
    entries: &mut Vec<(Node, Node)>,
    merged: &mut Vec<bool>,
    index: &mut Option<HashMap<String, usize>>,
    entry: (Node, Node),
    from_merge: bool,
) {
    if let (Some(ix), Some(k)) = (index.as_mut(), entry.0.as_str()) {
        ix.insert(k.to_string(), entries.len());
    }
    entries.push(entry);
    merged.push(from_merge);
    if index.is_none() && entries.len() >= INDEX_AT {
        *index = Some(
            entries
                .iter()
                .enumerate()
                .filter_map(|(i, (k, _))| k.as_str().map(|k| (k.to_string(), i)))
                .collect(),
        );
    }
}

fn insert(
    entries: &mut Vec<(Node, Node)>,
    merged: &mut Vec<bool>,
    index: &mut Option<HashMap<String, usize>>,
    key: Node,
    value: Node,
) -> Result<(), LoadError> {
    if key.as_str() == Some("<<") {
        // Merge key: explicit keys win wherever they are; merged keys never count as duplicates.
        let sources: Vec<&Node> = match &value.value {
            Value::Map(_) => vec![&value],
            Value::Seq(items) => items.iter().collect(),
            _ => {
                return Err(LoadError {
                    line: value.line,
                    column: value.column,
                    message: "merge key `<<` needs a mapping or a list of mappings".into(),
                });
            }
        };
        for src in sources {
            for (k, v) in src.entries() {
                if k.as_str()
                    .is_some_and(|t| find_key(entries, index, t).is_none())
                {
                    push_entry(entries, merged, index, (k.clone(), v.clone()), true);
                }
            }
        }
        return Ok(());
    }
    if let Some(text) = key.as_str()
        && let Some(i) = find_key(entries, index, text)
    {
        if merged[i] {
            merged[i] = false;
            entries[i] = (key, value);
            return Ok(());
        }
        return Err(LoadError {
            line: key.line,
            column: key.column,
            message: format!(
                "duplicate key `{text}` (first defined on line {})",
                entries[i].0.line
            ),
        });
    }
    push_entry(entries, merged, index, (key, value), false);
    Ok(())
}

/// Resolves a plain scalar: null, booleans (YAML 1.1 words too), integers, floats, strings.
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Int(i);
        }
    } else if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Int(i);
        }
    } else if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Int(i);
        }
    } else if s.contains(['.', 'e', 'E'])
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && s.bytes().any(|b| b.is_ascii_digit())
        && let Ok(f) = s.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(s.to_string())
}

/// Converts a JSON value (for JSON the YAML parser refuses) into nodes on line 1.
pub fn from_json(v: &serde_json::Value) -> Node {
    let value = match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::Seq(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| {
                    (
                        Node {
                            value: Value::Str(k.clone()),
                            line: 1,
                            column: 1,
                            end_line: 1,
                        },
                        from_json(v),
                    )
                })
                .collect(),
        ),
    };
    Node {
        value,
        line: 1,
        column: 1,
        end_line: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> Result<Vec<Node>, LoadError> {
        load_all(s, Limits::default())
    }

    #[test]
    fn positions_and_types() {
        let docs = load("a: 1\nb:\n  - yes\n  - \"on\"\n  - ~\n  - 1.5\n  - 0x10\nc: |\n  text\n  more\n---\n---\nd: x\n").unwrap();
        assert_eq!(docs.len(), 2);
        let b = docs[0].get("b").unwrap();
        assert_eq!((b.line, b.column), (3, 3));
        assert_eq!(b.items()[0].as_bool(), Some(true));
        assert_eq!(b.items()[1].as_str(), Some("on"));
        assert!(b.items()[2].is_null());
        assert_eq!(b.items()[3].value, Value::Float(1.5));
        assert_eq!(b.items()[4].as_i64(), Some(16));
        assert_eq!(docs[0].get("c").unwrap().as_str(), Some("text\nmore\n"));
        assert_eq!(docs[1].get("d").unwrap().line, 13);
        assert_eq!(docs[0].end_line, 10);
    }

    #[test]
    fn anchors_and_merge_keys() {
        let docs = load("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n").unwrap();
        let u = docs[0].get("use").unwrap();
        assert_eq!(u.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(u.get("y").unwrap().as_i64(), Some(3));
        assert_eq!(docs[0].get("list").unwrap().items().len(), 2);
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut s = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            s.push_str(&format!("{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = n;
        }
        let e = load(&s).unwrap_err();
        assert!(e.message.contains("alias expansion"), "{e:?}");
        assert!(e.line >= 5, "{e:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let e = load(&s).unwrap_err();
        assert!(
            e.message.contains("nesting") || e.message.contains("recursion"),
            "{e:?}"
        );
        let mut block = String::new();
        for i in 0..300 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        let e = load(&block).unwrap_err();
        assert!(e.message.contains("nesting deeper than 128"), "{e:?}");
        assert_eq!(e.line, 129);
    }

    #[test]
    fn huge_scalar_is_refused() {
        let s = format!("a: b\nbig: {}\n", "x".repeat(100));
        let limits = Limits {
            max_scalar_bytes: 50,
            ..Limits::default()
        };
        let e = load_all(&s, limits).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("100 bytes"));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let e = load("metadata:\n  name: a\n  name: b\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 3));
        assert_eq!(e.message, "duplicate key `name` (first defined on line 2)");
    }

    #[test]
    fn duplicate_keys_in_large_mappings() {
        let mut s: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        s.push_str("k3: again\n");
        let e = load(&s).unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (41, "duplicate key `k3` (first defined on line 4)")
        );
        let mut merged: String = "base: &b {".to_string();
        merged.push_str(
            &(0..20)
                .map(|i| format!("m{i}: {i}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        merged.push_str("}\nuse:\n  <<: *b\n  m7: seven\n");
        let docs = load(&merged).unwrap();
        let u = docs[0].get("use").unwrap();
        assert_eq!(u.get("m7").unwrap().as_str(), Some("seven"));
        assert_eq!(u.entries().len(), 20);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = load("a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.line >= 1);
        let e = load("a: *nope\n").unwrap_err();
        assert!(!e.message.is_empty());
    }

    #[test]
    fn json_loads_with_lines() {
        let docs = load("{\n  \"kind\": \"Pod\",\n  \"spec\": {\"hostPID\": true}\n}\n").unwrap();
        assert_eq!(docs[0].get("kind").unwrap().as_str(), Some("Pod"));
        assert_eq!(docs[0].at(&["spec", "hostPID"]).unwrap().line, 3);
    }
}

#[cfg(test)]
mod to_json_tests {
    #[test]
    fn nodes_become_plain_json() {
        let f = crate::k8s::load(
            "x.yaml",
            b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {a: '1'}\nspec:\n  n: 3\n  f: 1.5\n  b: true\n  l: [x, ~]\n",
        )
        .unwrap();
        assert_eq!(
            f.objects[0].to_json(),
            serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "labels": {"a": "1"}},
                "spec": {"n": 3, "f": 1.5, "b": true, "l": ["x", null]}})
        );
    }
}
