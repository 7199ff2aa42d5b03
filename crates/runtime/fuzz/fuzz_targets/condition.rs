//! The condition parser and compiler: any text parses or errors, compiles or errors, and a
//! compiled condition evaluates on an event without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use osprey_runtime::condition::{Compiler, Scope, TypeRegistry, parser};
use osprey_runtime::event::Event;
use osprey_runtime::fields::Ctx;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(expr) = parser::parse(text) else { return };
    let mut scope = Scope::default();
    scope.lists.insert("l".into(), vec!["a".into(), "l2".into()]);
    scope.lists.insert("l2".into(), vec!["'b'".into()]);
    scope.macros.insert("m".into(), parser::parse("evt.type = open").unwrap());
    let mut types = TypeRegistry::default();
    if let Ok(node) = Compiler::new(&scope, &mut types).compile(&expr) {
        let ev = Event { ts: 1, evt_type: "open".into(), ..Default::default() };
        let _ = node.eval(&Ctx::new(&ev), types.id("open"));
    }
});
