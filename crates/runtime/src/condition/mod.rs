//! Falco conditions: parsing ([`parser`]), compilation into a tree ([`Node`]) and into branch
//! programs ([`program`]), the form the engine runs.
//!
//! Compilation happens once per rule: macros are inlined, lists flattened into hash sets,
//! literals converted to the field's type (numbers, CIDR networks, lower-cased text for
//! `icontains`, hex bytes, globs, anchored regexes), and `evt.type` checks turned into bitset
//! tests over interned event-type ids. With [`Compiler::sharing`], macros and checks carry a
//! key so the engine evaluates each once per event ([`Memo`]). [`Node::for_type`] specialises a
//! tree for one event type and [`Node::merge_field_checks`] merges same-field alternatives
//! before [`program::Program`] compiles it (recording which event heap blocks its checks read,
//! [`crate::fields::HeapParts`], for the engine to prefetch); [`Node::eval`] walks the plain tree and is the
//! reference those rewrites are tested against. Nothing is parsed while events are evaluated.

pub mod parser;
pub mod program;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use globset::{GlobBuilder, GlobMatcher};
use regex::{Regex, RegexBuilder};

use crate::fields::{self, Ctx, FieldArg, FieldDef, FieldType, HeapParts, Value};
use parser::{Expr, FieldExpr, ListItem, Modifier, Op, Rhs, TransformArg};

/// Deepest macro/list reference chain accepted.
pub const MAX_EXPANSION_DEPTH: usize = 100;

/// A fast non-cryptographic hasher (FxHash's multiply-rotate) for the engine's own string sets:
/// keys come from rule files, not from events, so flooding resistance buys nothing here and
/// SipHash would cost a third of an `in` check.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hash builder for [`FastHasher`].
pub type FastBuild = BuildHasherDefault<FastHasher>;

/// Interned event-type names; id 0 stands for every type no rule names.
#[derive(Debug, Clone)]
pub struct TypeRegistry {
    ids: HashMap<String, u16, FastBuild>,
    names: Vec<String>,
}

impl Default for TypeRegistry {
    fn default() -> Self {
        TypeRegistry {
            ids: HashMap::default(),
            names: vec!["<other>".to_string()],
        }
    }
}

impl TypeRegistry {
    /// Most distinct event types a rule set may name (ids fit a 256-bit set).
    pub const CAPACITY: usize = 255;

    fn intern(&mut self, name: &str) -> Option<u16> {
        if let Some(id) = self.ids.get(name) {
            return Some(*id);
        }
        if self.names.len() > Self::CAPACITY {
            return None;
        }
        let id = self.names.len() as u16;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        Some(id)
    }

    /// The id of an event type, 0 when no rule names it.
    pub fn id(&self, name: &str) -> u16 {
        self.ids.get(name).copied().unwrap_or(0)
    }

    /// Number of ids in use, including 0.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false: id 0 exists from the start.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The name of an id.
    pub fn name(&self, id: u16) -> &str {
        &self.names[id as usize]
    }
}

/// A set of event-type ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeSet([u64; 4]);

impl TypeSet {
    fn insert(&mut self, id: u16) {
        self.0[(id / 64) as usize] |= 1 << (id % 64);
    }

    /// Whether `id` is in the set.
    #[inline]
    pub fn contains(&self, id: u16) -> bool {
        self.0[(id / 64) as usize] & (1 << (id % 64)) != 0
    }
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Node {
    /// Constant.
    Const(bool),
    /// All children hold.
    And(Box<[Node]>),
    /// Any child holds.
    Or(Box<[Node]>),
    /// Negation.
    Not(Box<Node>),
    /// The event's type is in the set.
    EvtType(TypeSet),
    /// A field check (shared, not copied, when per-type trees are built).
    Check(Arc<CheckNode>),
    /// A macro or check several rules contain, with its key in [`SharedKeys`]: a
    /// [`program::Program`] evaluates it once per event and keeps the result in a [`Memo`].
    Shared(u32, Box<Node>),
}

/// Keys of subexpressions rules share (macro names, check texts), interned to memo slots.
#[derive(Debug, Default)]
pub struct SharedKeys(HashMap<String, u32, FastBuild>);

impl SharedKeys {
    /// Number of slots a [`Memo`] needs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key is interned.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Per-event results of [`Node::Shared`] subexpressions. Each slot holds the event generation
/// it was computed for and the result, so starting an event is one increment, not a clear.
#[derive(Debug, Default)]
pub struct Memo {
    stamps: Vec<u32>,
    generation: u32,
}

impl Memo {
    /// Forgets the previous event's results; `slots` is the engine's [`SharedKeys::len`].
    pub fn start_event(&mut self, slots: usize) {
        if self.stamps.len() < slots {
            self.stamps.resize(slots, 0);
        }
        self.generation += 1;
        if self.generation >= u32::MAX >> 1 {
            self.stamps.fill(0);
            self.generation = 1;
        }
    }

    /// The result of `slot` for the current event, if computed; `None` also when the memo has
    /// no such slot (it then caches nothing).
    #[inline]
    fn cached(&self, slot: u32) -> Option<bool> {
        match self.stamps.get(slot as usize) {
            Some(&stamp) if stamp >> 1 == self.generation => Some(stamp & 1 == 1),
            _ => None,
        }
    }

    #[inline]
    fn store(&mut self, slot: u32, v: bool) {
        if let Some(stamp) = self.stamps.get_mut(slot as usize) {
            *stamp = self.generation << 1 | u32::from(v);
        }
    }
}

/// A field (or transformed field) and the predicate its value must satisfy.
#[derive(Debug, Clone)]
pub struct CheckNode {
    lhs: Operand,
    pred: Pred,
}

impl CheckNode {
    /// The event's heap blocks the check reads (both sides of a field comparison).
    fn heap_parts(&self) -> HeapParts {
        let rhs = match &self.pred {
            Pred::Field(_, other) => other.heap_parts(),
            _ => HeapParts::default(),
        };
        self.lhs.heap_parts().union(rhs)
    }

    /// Out of line: field extraction and value handling would otherwise bloat the frame of the
    /// loops that call it.
    /// The common case, a plain field tested against text, goes straight from the field's
    /// getter to the text predicate.
    #[inline(never)]
    fn holds(&self, ctx: &Ctx<'_>) -> bool {
        let v = match &self.lhs.kind {
            OperandKind::Field(def, arg) => (def.get)(ctx, arg),
            OperandKind::Transform(..) => self.lhs.get(ctx),
        };
        match (&self.pred, &v) {
            (Pred::Str(p), Some(Value::Str(s))) => p.test(s),
            (_, Some(v)) => self.pred.test(v, ctx),
            (_, None) => false,
        }
    }
}

/// The left side of a check: a field or a transformer over fields.
#[derive(Debug, Clone)]
pub struct Operand {
    kind: OperandKind,
    ty: FieldType,
}

#[derive(Debug, Clone)]
enum OperandKind {
    Field(&'static FieldDef, FieldArg),
    Transform(Transformer, Vec<TArg>),
}

#[derive(Debug, Clone)]
enum TArg {
    Operand(Operand),
    Literal(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transformer {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
    Join,
    Concat,
}

#[derive(Debug, Clone)]
enum Pred {
    Exists,
    Str(StrPred),
    Num(NumPred),
    Ip { nets: Vec<Cidr>, negate: bool },
    Bool(bool),
    Field(Op, Operand),
    Modified(Modifier, Vec<StrPred>),
}

#[derive(Debug, Clone)]
enum StrPred {
    Eq(Box<str>),
    Ne(Box<str>),
    Contains(Box<str>),
    IContains(Box<str>),
    Bytes { needle: Vec<u8>, prefix_only: bool },
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    Glob(GlobMatcher),
    Regex(Regex),
    In(StrSet),
    PMatch(Vec<Box<str>>),
}

/// The strings of an `in` list, with the set of their lengths: most values tested have a length
/// no item has, and are rejected without hashing. Short lists are scanned, not hashed.
#[derive(Debug, Clone)]
struct StrSet {
    items: HashSet<Box<str>, FastBuild>,
    /// The items when there are at most [`StrSet::SCAN_MAX`]: comparing a few short strings
    /// costs less than hashing one.
    scan: Option<Box<[Box<str>]>>,
    /// Bit `n` set when an item is `n` bytes long; lengths of 255 and more share bit 255.
    lengths: [u64; 4],
}

impl StrSet {
    const SCAN_MAX: usize = 8;

    fn length_bit(len: usize) -> (usize, u64) {
        let n = len.min(255);
        (n / 64, 1 << (n % 64))
    }

    fn new<'v>(values: impl IntoIterator<Item = &'v String>) -> StrSet {
        let mut lengths = [0u64; 4];
        let items: HashSet<Box<str>, FastBuild> = values
            .into_iter()
            .map(|v| {
                let (word, bit) = StrSet::length_bit(v.len());
                lengths[word] |= bit;
                v.as_str().into()
            })
            .collect();
        let scan = (items.len() <= StrSet::SCAN_MAX).then(|| items.iter().cloned().collect());
        StrSet {
            items,
            scan,
            lengths,
        }
    }

    fn contains(&self, s: &str) -> bool {
        let (word, bit) = StrSet::length_bit(s.len());
        if self.lengths[word] & bit == 0 {
            return false;
        }
        match &self.scan {
            Some(few) => few.iter().any(|i| same_bytes(i.as_bytes(), s.as_bytes())),
            None => self.items.contains(s),
        }
    }
}

#[derive(Debug, Clone)]
enum NumPred {
    Cmp(Op, i64),
    In(Vec<i64>),
}

#[derive(Debug, Clone, Copy)]
struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (a, p) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    fn contains(&self, ip: &IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(n) & mask == u32::from(*a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(n) & mask == u128::from(*a) & mask
            }
            _ => false,
        }
    }
}

/// Why a condition does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileError {
    /// A field the fields table does not have (rules using it can be skipped on request).
    UnknownField(String),
    /// Anything else: bad literal, operator not valid for the field, cycles, unknown macro.
    Invalid(String),
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileError::UnknownField(m) | CompileError::Invalid(m) => f.write_str(m),
        }
    }
}

/// Macros (parsed) and lists (raw items) a condition may reference.
#[derive(Debug, Default)]
pub struct Scope {
    /// Macro name to parsed condition.
    pub macros: HashMap<String, Expr>,
    /// List name to its items as written in YAML.
    pub lists: HashMap<String, Vec<String>>,
}

/// Compiles conditions against a [`Scope`], interning event types and recording fields used.
pub struct Compiler<'s> {
    scope: &'s Scope,
    types: &'s mut TypeRegistry,
    /// Every field name (with argument) the compiled conditions read.
    pub fields_used: BTreeSet<String>,
    macro_stack: Vec<String>,
    shared: Option<&'s mut SharedKeys>,
}

impl<'s> Compiler<'s> {
    /// A compiler over `scope`, interning event types in `types`.
    pub fn new(scope: &'s Scope, types: &'s mut TypeRegistry) -> Self {
        Compiler {
            scope,
            types,
            fields_used: BTreeSet::new(),
            macro_stack: Vec::new(),
            shared: None,
        }
    }

    /// Wraps every macro and check in [`Node::Shared`], keyed in `keys` by macro name or
    /// check text, so an engine can evaluate each once per event whatever the number of rules
    /// containing it. Macros take no parameters and lists are global, so equal keys compile to
    /// equal trees.
    pub fn sharing(mut self, keys: &'s mut SharedKeys) -> Self {
        self.shared = Some(keys);
        self
    }

    fn share(&mut self, key: impl FnOnce() -> String, n: Node) -> Node {
        let Some(keys) = self.shared.as_deref_mut() else {
            return n;
        };
        if matches!(n, Node::Const(_) | Node::EvtType(_) | Node::Shared(..)) {
            return n;
        }
        let next = keys.0.len() as u32;
        let slot = *keys.0.entry(key()).or_insert(next);
        Node::Shared(slot, Box::new(n))
    }

    /// Compiles one parsed condition.
    pub fn compile(&mut self, e: &Expr) -> Result<Node, CompileError> {
        Ok(match e {
            Expr::And(items) => Node::And(
                items
                    .iter()
                    .map(|i| self.compile(i))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(items) => Node::Or(
                items
                    .iter()
                    .map(|i| self.compile(i))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(inner) => Node::Not(Box::new(self.compile(inner)?)),
            Expr::Macro(name) => {
                let body =
                    self.scope.macros.get(name).ok_or_else(|| {
                        CompileError::Invalid(format!("undefined macro `{name}`"))
                    })?;
                if self.macro_stack.iter().any(|m| m == name) {
                    return Err(CompileError::Invalid(format!(
                        "macro cycle: {} -> {name}",
                        self.macro_stack.join(" -> ")
                    )));
                }
                if self.macro_stack.len() >= MAX_EXPANSION_DEPTH {
                    return Err(CompileError::Invalid(format!(
                        "macros nested deeper than {MAX_EXPANSION_DEPTH}"
                    )));
                }
                self.macro_stack.push(name.clone());
                let n = self.compile(body);
                self.macro_stack.pop();
                self.share(|| format!("macro {name}"), n?)
            }
            Expr::Check(c) => {
                let n = self.check(&c.lhs, c.op, &c.rhs)?;
                self.share(|| format!("{c:?}"), n)
            }
        })
    }

    /// Compiles a field reference (also used for output templates).
    pub fn operand(&mut self, f: &FieldExpr) -> Result<Operand, CompileError> {
        match f {
            FieldExpr::Field { name, arg } => {
                let (def, parsed) = fields::lookup(name, arg.as_deref()).map_err(|m| {
                    if m.starts_with("unknown field") {
                        CompileError::UnknownField(m)
                    } else {
                        CompileError::Invalid(m)
                    }
                })?;
                self.fields_used.insert(f.to_string());
                Ok(Operand {
                    kind: OperandKind::Field(def, parsed),
                    ty: def.ty,
                })
            }
            FieldExpr::Transform { name, args } => {
                let t = match name.as_str() {
                    "tolower" => Transformer::ToLower,
                    "toupper" => Transformer::ToUpper,
                    "b64" => Transformer::B64,
                    "basename" => Transformer::Basename,
                    "len" => Transformer::Len,
                    "join" => Transformer::Join,
                    "concat" => Transformer::Concat,
                    other => {
                        return Err(CompileError::Invalid(format!(
                            "unknown transformer `{other}`"
                        )));
                    }
                };
                let mut out = Vec::new();
                for a in args {
                    out.push(match a {
                        TransformArg::Field(f) => TArg::Operand(self.operand(f)?),
                        TransformArg::Literal(l) => TArg::Literal(l.clone()),
                    });
                }
                let fields = out.iter().filter(|a| matches!(a, TArg::Operand(_))).count();
                let ok = match t {
                    Transformer::Join => {
                        out.len() >= 2
                            && matches!(out[0], TArg::Literal(_))
                            && fields == out.len() - 1
                    }
                    Transformer::Concat => !out.is_empty(),
                    _ => out.len() == 1 && fields == 1,
                };
                if !ok {
                    return Err(CompileError::Invalid(format!(
                        "{name}() takes {}",
                        match t {
                            Transformer::Join => "a quoted separator and one or more fields",
                            Transformer::Concat => "fields or quoted strings",
                            _ => "exactly one field",
                        }
                    )));
                }
                let ty = if t == Transformer::Len {
                    FieldType::Int
                } else {
                    FieldType::Str
                };
                Ok(Operand {
                    kind: OperandKind::Transform(t, out),
                    ty,
                })
            }
        }
    }

    /// Flattens list items: bare names of lists expand (recursively), everything else is literal.
    pub(crate) fn expand(
        &self,
        items: &[ListItem],
        out: &mut Vec<String>,
        stack: &mut Vec<String>,
    ) -> Result<(), CompileError> {
        for it in items {
            match self.scope.lists.get(&it.text).filter(|_| !it.quoted) {
                Some(raw) => {
                    if stack.contains(&it.text) {
                        return Err(CompileError::Invalid(format!(
                            "list cycle: {} -> {}",
                            stack.join(" -> "),
                            it.text
                        )));
                    }
                    if stack.len() >= MAX_EXPANSION_DEPTH {
                        return Err(CompileError::Invalid(format!(
                            "lists nested deeper than {MAX_EXPANSION_DEPTH}"
                        )));
                    }
                    stack.push(it.text.clone());
                    let inner: Vec<ListItem> = raw.iter().map(|r| list_item_from_yaml(r)).collect();
                    self.expand(&inner, out, stack)?;
                    stack.pop();
                }
                None => out.push(it.text.clone()),
            }
        }
        Ok(())
    }

    fn check(&mut self, lhs: &FieldExpr, op: Op, rhs: &Rhs) -> Result<Node, CompileError> {
        let operand = self.operand(lhs)?;
        let ctx = |m: String| CompileError::Invalid(format!("`{lhs} {}`: {m}", op.as_str()));
        let values: Vec<String> = match rhs {
            Rhs::None => Vec::new(),
            Rhs::Value(v) => vec![v.text.clone()],
            Rhs::List(items) | Rhs::Modified(_, items) => {
                let mut out = Vec::new();
                self.expand(items, &mut out, &mut Vec::new())?;
                out
            }
            Rhs::Field(f) => {
                let other = self.operand(f)?;
                if !matches!(
                    op,
                    Op::Eq
                        | Op::Ne
                        | Op::Lt
                        | Op::Le
                        | Op::Gt
                        | Op::Ge
                        | Op::Contains
                        | Op::StartsWith
                        | Op::EndsWith
                ) {
                    return Err(ctx(
                        "val() supports =, !=, <, <=, >, >=, contains, startswith, endswith".into(),
                    ));
                }
                return Ok(Node::Check(Arc::new(CheckNode {
                    lhs: operand,
                    pred: Pred::Field(op, other),
                })));
            }
        };
        if let Rhs::Modified(m, _) = rhs {
            if op.takes_list() || op == Op::Exists {
                return Err(ctx(
                    "anyof/allof/oneof apply to single-value operators".into()
                ));
            }
            let preds = values
                .iter()
                .map(|v| str_pred(op, std::slice::from_ref(v)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(ctx)?;
            return Ok(Node::Check(Arc::new(CheckNode {
                lhs: operand,
                pred: Pred::Modified(*m, preds),
            })));
        }
        if op == Op::Exists {
            return Ok(Node::Check(Arc::new(CheckNode {
                lhs: operand,
                pred: Pred::Exists,
            })));
        }
        if let OperandKind::Field(def, FieldArg::None) = &operand.kind
            && def.name == "evt.type"
            && matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects)
        {
            let mut set = TypeSet::default();
            let mut interned = true;
            for v in &values {
                match self.types.intern(v) {
                    Some(id) => set.insert(id),
                    None => interned = false,
                }
            }
            if interned {
                let n = Node::EvtType(set);
                return Ok(if op == Op::Ne {
                    Node::Not(Box::new(n))
                } else {
                    n
                });
            }
        }
        let pred = match (operand.ty, op) {
            (
                FieldType::Int,
                Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::In | Op::Intersects,
            )
            | (FieldType::Dyn, Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                let nums = values
                    .iter()
                    .map(|v| parse_int(v).ok_or_else(|| format!("`{v}` is not a number")))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(ctx)?;
                match op {
                    Op::In | Op::Intersects => Pred::Num(NumPred::In(nums)),
                    _ => Pred::Num(NumPred::Cmp(op, nums[0])),
                }
            }
            (FieldType::Bool, Op::Eq | Op::Ne) => {
                let want = match values[0].to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    other => return Err(ctx(format!("`{other}` is not true or false"))),
                };
                Pred::Bool(if op == Op::Eq { want } else { !want })
            }
            (FieldType::Bool, _) => return Err(ctx("boolean fields take = or !=".into())),
            (FieldType::Ip, Op::Eq | Op::Ne | Op::In | Op::Intersects) => {
                let nets = values
                    .iter()
                    .map(|v| {
                        Cidr::parse(v)
                            .ok_or_else(|| format!("`{v}` is not an IP address or CIDR network"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(ctx)?;
                Pred::Ip {
                    nets,
                    negate: op == Op::Ne,
                }
            }
            (FieldType::Str, Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                return Err(ctx("numeric comparison on a text field".into()));
            }
            _ => Pred::Str(str_pred(op, &values).map_err(ctx)?),
        };
        Ok(Node::Check(Arc::new(CheckNode { lhs: operand, pred })))
    }
}

/// A list item as written in YAML: quoted text is literal, bare text may name a list.
pub fn list_item_from_yaml(raw: &str) -> ListItem {
    let t = raw.trim();
    let b = t.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        ListItem {
            text: t[1..t.len() - 1].to_string(),
            quoted: true,
        }
    } else {
        ListItem {
            text: t.to_string(),
            quoted: false,
        }
    }
}

fn parse_int(v: &str) -> Option<i64> {
    let t = v.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else {
        t.parse().ok()
    }
}

fn hex_bytes(v: &str) -> Result<Vec<u8>, String> {
    let t: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() || !t.len().is_multiple_of(2) || !t.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("`{v}` is not an even number of hex digits"));
    }
    Ok((0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap_or(0))
        .collect())
}

fn str_pred(op: Op, values: &[String]) -> Result<StrPred, String> {
    let first = || values.first().cloned().unwrap_or_default();
    Ok(match op {
        Op::Eq => StrPred::Eq(first().into()),
        Op::Ne => StrPred::Ne(first().into()),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            return Err("numeric comparison on a text field".into());
        }
        Op::Contains => StrPred::Contains(first().into()),
        Op::IContains => StrPred::IContains(first().to_lowercase().into()),
        Op::BContains => StrPred::Bytes {
            needle: hex_bytes(&first())?,
            prefix_only: false,
        },
        Op::BStartsWith => StrPred::Bytes {
            needle: hex_bytes(&first())?,
            prefix_only: true,
        },
        Op::StartsWith => StrPred::StartsWith(first().into()),
        Op::EndsWith => StrPred::EndsWith(first().into()),
        Op::Glob | Op::IGlob => StrPred::Glob(
            GlobBuilder::new(&first())
                .literal_separator(false)
                .backslash_escape(true)
                .case_insensitive(op == Op::IGlob)
                .build()
                .map_err(|e| format!("bad glob: {e}"))?
                .compile_matcher(),
        ),
        Op::Regex => StrPred::Regex(
            RegexBuilder::new(&format!("^(?:{})$", first()))
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("bad regex: {e}"))?,
        ),
        Op::In | Op::Intersects => StrPred::In(StrSet::new(values)),
        Op::PMatch => StrPred::PMatch(
            values
                .iter()
                .map(|v| v.trim_end_matches('/').into())
                .collect(),
        ),
        Op::Exists => return Err("exists takes no value".into()),
    })
}

fn word8(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(w)
}

fn word4(s: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u32::from_le_bytes(w)
}

/// Byte equality that compares strings of up to 16 bytes with two (overlapping) word loads
/// instead of a `memcmp` call: most literals in rules (names, short paths, prefixes) are that
/// short, and the call dominated the cost of `=`, `startswith` and `endswith`.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        _ => a == b,
    }
}

/// Whether `needle` occurs in `hay`: scans for the needle's first byte and compares the rest
/// there. `str::contains` builds a two-way searcher per call, which costs more than the whole
/// scan over the short paths and command lines conditions test.
fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last_start) = hay.len().checked_sub(needle.len()) else {
        return false;
    };
    let mut i = 0;
    while let Some(p) = hay[i..=last_start].iter().position(|&b| b == first) {
        i += p;
        if &hay[i + 1..i + needle.len()] == rest {
            return true;
        }
        i += 1;
        if i > last_start {
            break;
        }
    }
    false
}

fn contains_ignore_ascii_case(hay: &str, lower_needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), lower_needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    h.windows(n.len())
        .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

impl StrPred {
    #[inline]
    fn test(&self, s: &str) -> bool {
        match self {
            StrPred::Eq(x) => same_bytes(s.as_bytes(), x.as_bytes()),
            StrPred::Ne(x) => !same_bytes(s.as_bytes(), x.as_bytes()),
            StrPred::Contains(x) => contains_bytes(s.as_bytes(), x.as_bytes()),
            StrPred::IContains(x) => contains_ignore_ascii_case(s, x),
            StrPred::Bytes {
                needle,
                prefix_only: true,
            } => s.as_bytes().starts_with(needle),
            StrPred::Bytes {
                needle,
                prefix_only: false,
            } => s.as_bytes().windows(needle.len()).any(|w| w == &needle[..]),
            StrPred::StartsWith(x) => s
                .as_bytes()
                .get(..x.len())
                .is_some_and(|head| same_bytes(head, x.as_bytes())),
            StrPred::EndsWith(x) => s
                .len()
                .checked_sub(x.len())
                .is_some_and(|at| same_bytes(&s.as_bytes()[at..], x.as_bytes())),
            StrPred::Glob(g) => g.is_match(s),
            StrPred::Regex(r) => r.is_match(s),
            StrPred::In(set) => set.contains(s),
            StrPred::PMatch(prefixes) => prefixes.iter().any(|p| {
                s.strip_prefix(&**p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || p.is_empty())
            }),
        }
    }
}

fn cmp_holds(op: Op, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => o == Equal,
        Op::Ne => o != Equal,
        Op::Lt => o == Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Ge => o != Less,
        _ => false,
    }
}

fn as_int(v: &Value<'_>) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        Value::Str(s) => parse_int(s),
        Value::Bool(b) => Some(*b as i64),
        Value::Ip(_) | Value::Many(_) => None,
    }
}

impl Pred {
    fn test(&self, v: &Value<'_>, ctx: &Ctx<'_>) -> bool {
        if let Value::Many(items) = v {
            return match self {
                Pred::Exists => !items.is_empty(),
                _ => items.iter().any(|x| self.test(x, ctx)),
            };
        }
        match self {
            Pred::Exists => true,
            Pred::Str(p) => match v {
                Value::Str(s) => p.test(s),
                other => p.test(&other.render()),
            },
            Pred::Num(NumPred::Cmp(op, n)) => as_int(v).is_some_and(|x| cmp_holds(*op, x.cmp(n))),
            Pred::Num(NumPred::In(ns)) => as_int(v).is_some_and(|x| ns.contains(&x)),
            Pred::Ip { nets, negate } => {
                let ip = match v {
                    Value::Ip(ip) => Some(*ip),
                    other => other.render().parse().ok(),
                };
                ip.is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)) != *negate)
            }
            Pred::Bool(want) => match v {
                Value::Bool(b) => b == want,
                other => other.render() == if *want { "true" } else { "false" },
            },
            Pred::Field(op, rhs) => match rhs.get(ctx) {
                None => false,
                Some(r) => {
                    if let (Some(a), Some(b), true) = (
                        as_int(v),
                        as_int(&r),
                        matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge),
                    ) {
                        return cmp_holds(*op, a.cmp(&b));
                    }
                    let (a, b) = (v.render(), r.render());
                    match op {
                        Op::Contains => a.contains(&*b),
                        Op::StartsWith => a.starts_with(&*b),
                        Op::EndsWith => a.ends_with(&*b),
                        _ => cmp_holds(*op, a.cmp(&b)),
                    }
                }
            },
            Pred::Modified(m, preds) => {
                let s = v.render();
                match m {
                    Modifier::AnyOf => preds.iter().any(|p| p.test(&s)),
                    Modifier::AllOf => preds.iter().all(|p| p.test(&s)),
                    Modifier::OneOf => preds.iter().filter(|p| p.test(&s)).count() == 1,
                }
            }
        }
    }
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

impl Operand {
    fn heap_parts(&self) -> HeapParts {
        match &self.kind {
            OperandKind::Field(def, _) => HeapParts::of_field(def.name),
            OperandKind::Transform(_, args) => args
                .iter()
                .filter_map(|a| match a {
                    TArg::Operand(o) => Some(o.heap_parts()),
                    TArg::Literal(_) => None,
                })
                .fold(HeapParts::default(), HeapParts::union),
        }
    }

    /// The operand's value for the event in `ctx`, `None` when the event has no such value.
    pub fn get<'a>(&'a self, ctx: &'a Ctx<'a>) -> Option<Value<'a>> {
        match &self.kind {
            OperandKind::Field(def, arg) => (def.get)(ctx, arg),
            OperandKind::Transform(t, args) => {
                let text = |a: &'a TArg| -> Option<String> {
                    match a {
                        TArg::Literal(l) => Some(l.clone()),
                        TArg::Operand(o) => o.get(ctx).map(|v| v.render().into_owned()),
                    }
                };
                let one = || match &args[0] {
                    TArg::Operand(o) => o.get(ctx),
                    TArg::Literal(_) => None,
                };
                let str_map = |f: &dyn Fn(&str) -> String| -> Option<Value<'a>> {
                    let v = one()?;
                    Some(map_values(v, f))
                };
                match t {
                    Transformer::ToLower => str_map(&|s| s.to_lowercase()),
                    Transformer::ToUpper => str_map(&|s| s.to_uppercase()),
                    Transformer::Basename => {
                        str_map(&|s| s.rsplit('/').next().unwrap_or(s).to_string())
                    }
                    Transformer::B64 => {
                        let v = one()?;
                        let decoded = b64_decode(&v.render())?;
                        Some(Value::Str(
                            String::from_utf8_lossy(&decoded).into_owned().into(),
                        ))
                    }
                    Transformer::Len => Some(Value::Int(match one()? {
                        Value::Many(items) => items.len() as i64,
                        v => v.render().len() as i64,
                    })),
                    Transformer::Concat => {
                        let mut out = String::new();
                        for a in args {
                            out.push_str(&text(a)?);
                        }
                        Some(Value::Str(out.into()))
                    }
                    Transformer::Join => {
                        let TArg::Literal(sep) = &args[0] else {
                            return None;
                        };
                        let mut parts = Vec::new();
                        for a in &args[1..] {
                            if let TArg::Operand(o) = a {
                                match o.get(ctx) {
                                    Some(Value::Many(items)) => {
                                        parts.extend(items.iter().map(|i| i.render().into_owned()))
                                    }
                                    Some(v) => parts.push(v.render().into_owned()),
                                    None => {}
                                }
                            }
                        }
                        Some(Value::Str(parts.join(sep).into()))
                    }
                }
            }
        }
    }
}

fn map_values<'a>(v: Value<'a>, f: &dyn Fn(&str) -> String) -> Value<'a> {
    match v {
        Value::Many(items) => Value::Many(items.into_iter().map(|i| map_values(i, f)).collect()),
        other => Value::Str(f(&other.render()).into()),
    }
}

impl Node {
    /// Evaluates the condition on the event in `ctx`, whose type id is `type_id`, by walking
    /// the tree (the engine runs [`program::Program`]s instead; this is their reference).
    pub fn eval(&self, ctx: &Ctx<'_>, type_id: u16) -> bool {
        match self {
            Node::Const(b) => *b,
            Node::And(items) => items.iter().all(|n| n.eval(ctx, type_id)),
            Node::Or(items) => items.iter().any(|n| n.eval(ctx, type_id)),
            Node::Not(n) => !n.eval(ctx, type_id),
            Node::EvtType(set) => set.contains(type_id),
            Node::Check(c) => c.holds(ctx),
            Node::Shared(_, n) => n.eval(ctx, type_id),
        }
    }

    /// The condition specialised for events of type `type_id`: `evt.type` checks become
    /// constants and constants are folded away (`Const(false)`: the rule never matches that
    /// type). Nested conjunctions and disjunctions are flattened.
    pub fn for_type(&self, type_id: u16) -> Node {
        match self {
            Node::Const(b) => Node::Const(*b),
            Node::EvtType(set) => Node::Const(set.contains(type_id)),
            Node::Check(c) => Node::Check(Arc::clone(c)),
            Node::Not(n) => match n.for_type(type_id) {
                Node::Const(b) => Node::Const(!b),
                n => Node::Not(Box::new(n)),
            },
            Node::And(items) => Node::fold_junction(items, type_id, true),
            Node::Or(items) => Node::fold_junction(items, type_id, false),
            Node::Shared(slot, n) => match n.for_type(type_id) {
                Node::Const(b) => Node::Const(b),
                n => Node::Shared(*slot, Box::new(n)),
            },
        }
    }

    /// Folds an `and` (`is_and`) or an `or`: the junction's identity element drops out, its
    /// absorbing element decides it.
    fn fold_junction(items: &[Node], type_id: u16, is_and: bool) -> Node {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            match i.for_type(type_id) {
                Node::Const(b) if b == is_and => {}
                Node::Const(b) => return Node::Const(b),
                Node::And(inner) if is_and => out.extend(inner.into_vec()),
                Node::Or(inner) if !is_and => out.extend(inner.into_vec()),
                n => out.push(n),
            }
        }
        match out.len() {
            0 => Node::Const(is_and),
            1 => out.pop().unwrap_or(Node::Const(is_and)),
            _ if is_and => Node::And(out.into()),
            _ => Node::Or(out.into()),
        }
    }

    /// Merges the checks of each `or` that test the same field (without argument) against text
    /// into one `anyof` check: `fd.name startswith /a or fd.name = /b or ...` then reads the
    /// field once and dispatches once. `or` has no side effects, so where the merged check
    /// sits among the other alternatives does not change the result.
    pub fn merge_field_checks(self) -> Node {
        match self {
            Node::And(items) => Node::And(
                items
                    .into_vec()
                    .into_iter()
                    .map(Node::merge_field_checks)
                    .collect(),
            ),
            Node::Not(n) => Node::Not(Box::new(n.merge_field_checks())),
            Node::Shared(slot, n) => Node::Shared(slot, Box::new(n.merge_field_checks())),
            Node::Or(items) => {
                // Alternatives in order; a merged group keeps the place of its first member.
                let mut out: Vec<(Node, Vec<StrPred>)> = Vec::new();
                for item in items.into_vec() {
                    let item = item.merge_field_checks();
                    let merged = match &item {
                        Node::Check(c) => match (&c.lhs.kind, &c.pred) {
                            (OperandKind::Field(def, FieldArg::None), Pred::Str(p)) => out
                                .iter_mut()
                                .find(|(first, _)| {
                                    matches!(first, Node::Check(f) if matches!(
                                        (&f.lhs.kind, &f.pred),
                                        (OperandKind::Field(d, FieldArg::None), Pred::Str(_))
                                            if std::ptr::eq(*d, *def)
                                    ))
                                })
                                .map(|(_, preds)| preds.push(p.clone()))
                                .is_some(),
                            _ => false,
                        },
                        _ => false,
                    };
                    if !merged {
                        out.push((item, Vec::new()));
                    }
                }
                Node::Or(
                    out.into_iter()
                        .map(|(first, more)| match first {
                            Node::Check(c) if !more.is_empty() => {
                                let Pred::Str(p) = &c.pred else {
                                    unreachable!("only text checks gather more predicates")
                                };
                                let mut preds = vec![p.clone()];
                                preds.extend(more);
                                Node::Check(Arc::new(CheckNode {
                                    lhs: c.lhs.clone(),
                                    pred: Pred::Modified(Modifier::AnyOf, preds),
                                }))
                            }
                            n => n,
                        })
                        .collect(),
                )
            }
            leaf => leaf,
        }
    }

    /// Adds to `uses` how often each [`Node::Shared`] key occurs in the tree (call it on every
    /// tree of a program with the same `uses`). The body of a key is counted at its first
    /// occurrence only: a program evaluates the body once and reads the memo at every other
    /// occurrence, so a key nested in it is reached once through it, and caching that inner
    /// result would cost a memo store for nothing.
    pub fn count_shared(&self, uses: &mut HashMap<u32, u32, FastBuild>) {
        match self {
            Node::And(items) | Node::Or(items) => items.iter().for_each(|i| i.count_shared(uses)),
            Node::Not(n) => n.count_shared(uses),
            Node::Shared(slot, n) => {
                let seen = uses.entry(*slot).or_default();
                *seen += 1;
                if *seen == 1 {
                    n.count_shared(uses);
                }
            }
            Node::Const(_) | Node::EvtType(_) | Node::Check(_) => {}
        }
    }

    /// Unwraps the [`Node::Shared`] subexpressions occurring only once in `uses`: caching a
    /// result nobody reads again costs more than it saves.
    pub fn drop_unshared(self, uses: &HashMap<u32, u32, FastBuild>) -> Node {
        let all = |items: Box<[Node]>| {
            items
                .into_vec()
                .into_iter()
                .map(|i| i.drop_unshared(uses))
                .collect()
        };
        match self {
            Node::And(items) => Node::And(all(items)),
            Node::Or(items) => Node::Or(all(items)),
            Node::Not(n) => Node::Not(Box::new(n.drop_unshared(uses))),
            Node::Shared(slot, n) if uses.get(&slot).is_some_and(|u| *u > 1) => {
                Node::Shared(slot, Box::new(n.drop_unshared(uses)))
            }
            Node::Shared(_, n) => n.drop_unshared(uses),
            leaf => leaf,
        }
    }

    /// Whether the condition can hold for an event of type `type_id`: `Some(false)` when the
    /// `evt.type` checks alone rule it out, `None` when other fields decide.
    pub fn possible(&self, type_id: u16) -> Option<bool> {
        match self {
            Node::Const(b) => Some(*b),
            Node::EvtType(set) => Some(set.contains(type_id)),
            Node::Check(_) => None,
            Node::Not(n) => n.possible(type_id).map(|b| !b),
            Node::Shared(_, n) => n.possible(type_id),
            Node::And(items) => {
                let mut unknown = false;
                for i in items.iter() {
                    match i.possible(type_id) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            Node::Or(items) => {
                let mut unknown = false;
                for i in items.iter() {
                    match i.possible(type_id) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { None } else { Some(false) }
            }
        }
    }
}

#[cfg(test)]
mod tests;
