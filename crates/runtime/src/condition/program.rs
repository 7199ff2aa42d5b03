//! Conditions compiled to branch programs, the form the engine evaluates.
//!
//! A condition tree becomes a graph of tests, each naming the step to go to when it holds and
//! when it does not: `a and b` is "test a: if false stop with false, else test b", `not` swaps
//! the two targets, constants resolve to a target at compile time. Evaluating is then a loop
//! over tests with no recursion and no `and`/`or`/`not` nodes to walk; every test appears once,
//! so the program is as large as the tree's leaves. A [`Node::Shared`] subexpression is
//! compiled once per program as its own sub-program, run at most once per event (its result
//! kept in the [`Memo`]).

use std::collections::HashMap;
use std::sync::Arc;

use super::{CheckNode, FastBuild, Memo, Node};
use crate::fields::{Ctx, HeapParts};

/// Target meaning "the condition holds".
const HOLDS: u32 = u32::MAX;
/// Target meaning "the condition does not hold".
const FAILS: u32 = u32::MAX - 1;

#[derive(Debug)]
enum Test {
    Check(Arc<CheckNode>),
    /// A shared subexpression: memo slot and the entry of its sub-program.
    Shared {
        slot: u32,
        entry: u32,
    },
}

#[derive(Debug)]
struct Step {
    test: Test,
    on_true: u32,
    on_false: u32,
}

/// Branch programs for many conditions, all specialised for one event type (the engine keeps
/// one per type).
#[derive(Debug, Default)]
pub struct Program {
    steps: Vec<Step>,
    /// Sub-program entry of each shared slot compiled so far.
    shared: HashMap<u32, u32, FastBuild>,
    /// What the checks read, for [`Ctx::prefetch`].
    heap_parts: HeapParts,
}

impl Program {
    /// Compiles `node` (already specialised for this program's event type by
    /// [`Node::for_type`]) and returns its entry for [`Program::run`].
    pub fn add(&mut self, node: &Node, type_id: u16) -> u32 {
        self.emit(node, type_id, HOLDS, FAILS)
    }

    /// Emits `node` so that it continues at `on_true` or `on_false`; returns its first step.
    fn emit(&mut self, node: &Node, type_id: u16, on_true: u32, on_false: u32) -> u32 {
        match node {
            Node::Const(true) => on_true,
            Node::Const(false) => on_false,
            Node::EvtType(set) if set.contains(type_id) => on_true,
            Node::EvtType(_) => on_false,
            Node::Not(n) => self.emit(n, type_id, on_false, on_true),
            Node::And(items) => items.iter().rev().fold(on_true, |next, item| {
                self.emit(item, type_id, next, on_false)
            }),
            Node::Or(items) => items.iter().rev().fold(on_false, |next, item| {
                self.emit(item, type_id, on_true, next)
            }),
            Node::Check(c) => {
                self.heap_parts = self.heap_parts.union(c.heap_parts());
                self.push(Test::Check(Arc::clone(c)), on_true, on_false)
            }
            Node::Shared(slot, inner) => {
                let entry = match self.shared.get(slot) {
                    Some(e) => *e,
                    None => {
                        let e = self.emit(inner, type_id, HOLDS, FAILS);
                        self.shared.insert(*slot, e);
                        e
                    }
                };
                if entry >= FAILS {
                    return if entry == HOLDS { on_true } else { on_false };
                }
                self.push(Test::Shared { slot: *slot, entry }, on_true, on_false)
            }
        }
    }

    /// The event heap blocks the compiled checks read: what to [`Ctx::prefetch`] before
    /// [`Program::run`].
    pub fn heap_parts(&self) -> HeapParts {
        self.heap_parts
    }

    fn push(&mut self, test: Test, on_true: u32, on_false: u32) -> u32 {
        self.steps.push(Step {
            test,
            on_true,
            on_false,
        });
        (self.steps.len() - 1) as u32
    }

    /// Whether the condition starting at `entry` holds for the event in `ctx` (call
    /// [`Memo::start_event`] once per event first). Inlined into the engine's loop over rules:
    /// a call per rule cost more than most rules' first test.
    #[inline]
    pub fn run(&self, entry: u32, ctx: &Ctx<'_>, memo: &mut Memo) -> bool {
        let mut at = entry;
        while at < FAILS {
            let step = &self.steps[at as usize];
            let holds = match &step.test {
                Test::Check(c) => c.holds(ctx),
                Test::Shared { slot, entry } => match memo.cached(*slot) {
                    Some(v) => v,
                    None => self.run_shared(*slot, *entry, ctx, memo),
                },
            };
            at = if holds { step.on_true } else { step.on_false };
        }
        at == HOLDS
    }

    /// Runs a shared sub-program and keeps its result for the rest of the event.
    #[inline(never)]
    fn run_shared(&self, slot: u32, entry: u32, ctx: &Ctx<'_>, memo: &mut Memo) -> bool {
        let v = self.run(entry, ctx, memo);
        memo.store(slot, v);
        v
    }
}
