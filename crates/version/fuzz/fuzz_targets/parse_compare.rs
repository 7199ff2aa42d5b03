//! Feeds arbitrary bytes to every scheme's parser and compares what parses.
//!
//! Input layout: the first byte picks the scheme, the rest is split at the first NUL into two
//! version strings (decoded lossily). Run with `cargo fuzz run parse_compare` from
//! `crates/version`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use osprey_version::{OsvEvent, Scheme, osv_affected};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(selector) % Scheme::ALL.len()];
    let (left, right) = match rest.iter().position(|&b| b == 0) {
        Some(nul) => (&rest[..nul], &rest[nul + 1..]),
        None => (rest, &[][..]),
    };
    let left = String::from_utf8_lossy(left);
    let right = String::from_utf8_lossy(right);
    let a = scheme.parse(&left);
    let b = scheme.parse(&right);
    if let (Ok(a), Ok(b)) = (&a, &b) {
        assert_eq!(a.cmp(b), b.cmp(a).reverse(), "antisymmetry: {a} vs {b}");
        assert_eq!(a.cmp(a), std::cmp::Ordering::Equal, "reflexivity: {a}");
    }
    let events = [OsvEvent::Introduced(&left), OsvEvent::Fixed(&right)];
    let _ = osv_affected(scheme, &events, &left);
});
