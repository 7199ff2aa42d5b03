//! Maven versions with the semantics of Maven's `ComparableVersion`.
//!
//! The string (case-folded) is split at `.`, `-` and digit/letter transitions into a tree:
//! a `-` or a transition opens a nested list. Numbers compare by value; qualifiers order
//! `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < (release: ``, `ga`, `final`,
//! `release`) < `sp` < any other qualifier (alphabetically); `a`, `b`, `m` directly followed by
//! a digit mean alpha, beta, milestone. Trailing "null" items (0, release qualifiers, empty
//! lists) are dropped from every list, and a shorter list is padded with nulls when compared.

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits, is_zero};

/// Rank of the release qualifier (`""`, `ga`, `final`, `release`).
const RELEASE: u8 = 5;
/// Known qualifiers, by rank.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// One node of the version tree.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// A number (span of digits in the original string).
    Int(Span),
    /// A known qualifier, by rank (see [`QUALIFIERS`]).
    Known(u8),
    /// Any other qualifier, lower-cased; sorts after every known one.
    Other(Box<str>),
    /// A nested list opened by `-` or a digit/letter transition.
    List(Vec<Item>),
}

impl Item {
    fn is_null(&self, text: &str) -> bool {
        match self {
            Item::Int(s) => is_zero(s.of(text)),
            Item::Known(rank) => *rank == RELEASE,
            Item::Other(_) => false,
            Item::List(items) => items.is_empty(),
        }
    }
}

fn qualifier(raw: &str, followed_by_digit: bool) -> Item {
    let lower = raw.to_ascii_lowercase();
    let name = match lower.as_str() {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    match QUALIFIERS.iter().position(|q| *q == name) {
        // QUALIFIERS has 7 entries, so the index fits a u8.
        Some(rank) => Item::Known(rank as u8),
        None => Item::Other(lower.into_boxed_str()),
    }
}

fn item(text: &str, start: usize, end: usize, digits: bool) -> Item {
    if digits {
        Item::Int(Span::new(start, end))
    } else {
        qualifier(&text[start..end], false)
    }
}

/// Drops trailing null items; stops at the first non-null item that is not a list.
fn normalize(text: &str, items: &mut Vec<Item>) {
    let mut index = items.len();
    while index > 0 {
        index -= 1;
        if items[index].is_null(text) {
            items.remove(index);
        } else if !matches!(items[index], Item::List(_)) {
            break;
        }
    }
}

/// The lists being built: `0` is the root; each later entry is the nested list opened last,
/// which becomes the final item of the entry below it once parsing is done.
struct Builder {
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn top(&mut self) -> &mut Vec<Item> {
        if self.stack.is_empty() {
            self.stack.push(Vec::new());
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    fn open(&mut self) {
        self.stack.push(Vec::new());
    }

    fn push(&mut self, item: Item) {
        self.top().push(item);
    }

    fn finish(mut self, text: &str) -> Vec<Item> {
        let mut child: Option<Vec<Item>> = None;
        while let Some(mut list) = self.stack.pop() {
            if let Some(inner) = child.take() {
                list.push(Item::List(inner));
            }
            normalize(text, &mut list);
            child = Some(list);
        }
        child.unwrap_or_default()
    }
}

/// Builds the item tree of `text`. Every string parses.
pub(crate) fn parse(text: &str) -> Result<Vec<Item>, String> {
    let mut tree = Builder {
        stack: vec![Vec::new()],
    };
    let bytes = text.as_bytes();
    let mut digits = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'.' | b'-' => {
                if i == start {
                    tree.push(Item::Int(Span::new(i, i)));
                } else {
                    let word = item(text, start, i, digits);
                    // Maven 3.9 reads `X-1` as `X1`; for a release alias (`1-ga-1`) that
                    // leaves just the number, so the alias and its hyphen vanish.
                    if c == b'-'
                        && tree.top().is_empty()
                        && matches!(word, Item::Known(RELEASE))
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                    {
                        start = i + 1;
                        digits = false;
                        continue;
                    }
                    tree.push(word);
                }
                start = i + 1;
                if c == b'-' {
                    tree.open();
                }
            }
            b'0'..=b'9' => {
                if !digits && i > start {
                    tree.push(qualifier(&text[start..i], true));
                    start = i;
                    tree.open();
                }
                digits = true;
            }
            _ => {
                if digits && i > start {
                    tree.push(Item::Int(Span::new(start, i)));
                    start = i;
                    tree.open();
                }
                digits = false;
            }
        }
    }
    if bytes.len() > start {
        tree.push(item(text, start, bytes.len(), digits));
    }
    Ok(tree.finish(text))
}

fn qualifier_cmp(a: &Item, b: &Item) -> Ordering {
    match (a, b) {
        (Item::Known(x), Item::Known(y)) => x.cmp(y),
        (Item::Known(_), _) => Ordering::Less,
        (_, Item::Known(_)) => Ordering::Greater,
        (Item::Other(x), Item::Other(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// Compares an item with a padding null.
fn cmp_null(text: &str, a: &Item) -> Ordering {
    match a {
        Item::Int(s) => {
            if is_zero(s.of(text)) {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        Item::Known(rank) => rank.cmp(&RELEASE),
        Item::Other(_) => Ordering::Greater,
        Item::List(items) => items
            .iter()
            .map(|i| cmp_null(text, i))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal),
    }
}

/// Maven's precedence of item kinds: number > list > qualifier.
fn kind_rank(item: &Item) -> u8 {
    match item {
        Item::Int(_) => 2,
        Item::List(_) => 1,
        Item::Known(_) | Item::Other(_) => 0,
    }
}

fn cmp_item(a_text: &str, a: &Item, b_text: &str, b: &Item) -> Ordering {
    match (a, b) {
        (Item::Int(x), Item::Int(y)) => cmp_digits(x.of(a_text), y.of(b_text)),
        (Item::List(x), Item::List(y)) => cmp_lists(a_text, x, b_text, y),
        (Item::Known(_) | Item::Other(_), Item::Known(_) | Item::Other(_)) => qualifier_cmp(a, b),
        (Item::List(_), Item::Known(_) | Item::Other(_))
        | (Item::Known(_) | Item::Other(_), Item::List(_)) => {
            // Maven ranks a list above any qualifier, which is not transitive once padding
            // nulls take part (`0-snapshot` < `0` < `foo` < `0-snapshot`). Comparing both
            // with "nothing" first removes those cycles; Maven's kind order decides the rest.
            let (x, y) = (cmp_null(a_text, a), cmp_null(b_text, b));
            if x != y {
                x.cmp(&y)
            } else if x == Ordering::Equal {
                Ordering::Equal
            } else {
                kind_rank(a).cmp(&kind_rank(b))
            }
        }
        // A number against anything else: Maven's kind order, exactly (`stable` < `0.11.0`).
        _ => kind_rank(a).cmp(&kind_rank(b)),
    }
}

/// Compares two item lists, padding the shorter one with nulls.
pub(crate) fn cmp_lists(a_text: &str, a: &[Item], b_text: &str, b: &[Item]) -> Ordering {
    for index in 0..a.len().max(b.len()) {
        let ord = match (a.get(index), b.get(index)) {
            (Some(x), Some(y)) => cmp_item(a_text, x, b_text, y),
            (Some(x), None) => cmp_null(a_text, x),
            (None, Some(y)) => cmp_null(b_text, y).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}
