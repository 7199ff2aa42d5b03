//! Hostile input: huge single lines, pathological repetitions, random bytes. Scanning must
//! finish in time linear in the input, never panic, and keep every finding redacted.

mod common;

use osprey_secrets::{MAX_FINDINGS_PER_FILE, Scanner, builtin_scanner};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Pathological inputs of about `len` bytes, each on one line.
fn hostile_inputs(len: usize) -> Vec<(&'static str, Vec<u8>)> {
    let repeat =
        |unit: &str| -> Vec<u8> { unit.as_bytes().iter().copied().cycle().take(len).collect() };
    let mut g = common::Gen::new("noise");
    let noise = g.pick(common::class("b"), len).into_bytes();
    vec![
        ("random base64, no newline", noise),
        (
            "keyword soup",
            repeat("password=\"ghp_AKIAsk_live_eyJ.eyJxoxb-SK0123 secret_key: "),
        ),
        (
            "almost tokens",
            repeat("ghp_0123456789abcdefghijABCDEFGHIJ0123 "),
        ),
        (
            "key headers without end",
            repeat("-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
        ),
        (
            "certificate headers without end",
            repeat("-----BEGIN CERTIFICATE-----"),
        ),
        (
            "long assignment names",
            repeat("a_password_password_password_password_password"),
        ),
        (
            "jwt prefixes",
            repeat("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0."),
        ),
        ("url userinfo", repeat("postgres://u:p@postgres://u:p@")),
        ("env assignments", repeat(" DB_PASSWORD=Zx8kQ2vLm9Tt")),
    ]
}

/// Best of three runs, so one scheduling hiccup on a shared machine does not decide.
fn time_scan(scanner: &Scanner, content: &[u8]) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut found = 0;
    for _ in 0..3 {
        let started = Instant::now();
        found = scanner.scan_file("srv/blob.txt", content).len();
        best = best.min(started.elapsed());
    }
    (best, found)
}

/// Time grows linearly: ten times the input costs well under a hundred times the time.
fn assert_linear(small: usize) {
    let scanner = builtin_scanner();
    for ((name, a), (_, b)) in hostile_inputs(small)
        .into_iter()
        .zip(hostile_inputs(small * 10))
    {
        let (ta, na) = time_scan(scanner, &a);
        let (tb, nb) = time_scan(scanner, &b);
        assert!(
            na <= MAX_FINDINGS_PER_FILE && nb <= MAX_FINDINGS_PER_FILE,
            "{name}: {na}/{nb}"
        );
        // Below 20 ms the small run is mostly fixed cost and timer noise.
        let ratio = tb.as_secs_f64() / ta.as_secs_f64().max(0.02);
        println!(
            "{name}: {ta:?} for {small} bytes, {tb:?} for {} bytes (x{ratio:.1}), {nb} findings",
            small * 10
        );
        assert!(
            ratio < 30.0,
            "{name}: x10 input took x{ratio:.1} time ({ta:?} -> {tb:?})"
        );
    }
}

#[test]
fn hostile_inputs_scale_linearly() {
    assert_linear(100_000);
}

#[test]
#[ignore = "slow: scans 50 MB single-line inputs"]
fn fifty_megabyte_single_lines_finish_in_linear_time() {
    assert_linear(5_000_000);
    let scanner = builtin_scanner();
    for (name, input) in hostile_inputs(50 << 20) {
        let (t, _) = time_scan(scanner, &input);
        assert!(t < Duration::from_secs(120), "{name}: 50 MB took {t:?}");
    }
}

#[test]
fn a_secret_in_a_huge_line_is_found_and_cut_short() {
    let (token, _) = common::expand("ghp_«GH»", "huge");
    let mut content = vec![b'x'; 3 << 20];
    content.extend_from_slice(format!(" token={token} ").as_bytes());
    content.extend(std::iter::repeat_n(b'y', 3 << 20));
    let findings = builtin_scanner().scan_file("srv/min.js", &content);
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!((f.start_line, f.end_line), (1, 1));
    assert!(f.redacted_match.len() < 300, "{}", f.redacted_match.len());
    assert!(f.redacted_match.contains("token=****") && !f.redacted_match.contains(&token[4..]));
}

#[test]
fn many_secrets_in_one_file_are_capped() {
    let mut text = String::new();
    for i in 0..(MAX_FINDINGS_PER_FILE + 50) {
        let (t, _) = common::expand("ghp_«GH»\n", &format!("many{i}"));
        text.push_str(&t);
    }
    let findings = builtin_scanner().scan_file("srv/tokens.txt", text.as_bytes());
    assert_eq!(findings.len(), MAX_FINDINGS_PER_FILE);
    assert_eq!(findings.last().unwrap().start_line, MAX_FINDINGS_PER_FILE);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let findings = builtin_scanner().scan_file("srv/random", &bytes);
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        for f in findings {
            prop_assert!(f.start_line >= 1 && f.start_line <= f.end_line && f.end_line <= lines);
        }
    }

    #[test]
    fn mutated_secrets_never_panic_or_leak(
        seed in "[a-z]{1,8}",
        cut in 0usize..200,
        insert in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let (text, runs) = common::expand(
            "AWS_SECRET_ACCESS_KEY=«b:40»\nghp_«GH»\n-----BEGIN EC PRIVATE KEY-----\n«b:64»\n-----END EC PRIVATE KEY-----\n",
            &seed,
        );
        let mut bytes = text.into_bytes();
        let at = cut.min(bytes.len());
        bytes.splice(at..at, insert);
        let findings = builtin_scanner().scan_file("srv/mutated", &bytes);
        let json = serde_json::to_string(&findings).unwrap();
        for run in runs {
            prop_assert!(!json.contains(&run), "leaked {run}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The config parser (the second fuzz target's entry point) on mutated YAML.
    #[test]
    fn mutated_configs_give_a_config_or_an_error(
        cut in 0usize..400,
        insert in "[ -~\n]{0,12}",
    ) {
        let mut text = String::from(
            "rules:\n  - id: a\n    category: c\n    title: t\n    severity: HIGH\n    regex: 'k_(?P<secret>[a-z]{8})'\n    keywords: [k_]\nallow-rules:\n  - id: g\n    glob: 'x/**'\ndisable-rules: [jwt-token]\n",
        );
        let at = text.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(text.len());
        text.insert_str(at, &insert);
        if let Ok(config) = osprey_secrets::SecretConfig::from_yaml(&text, "p.yaml") {
            prop_assert!(Scanner::new(&config).is_ok());
        }
    }
}
