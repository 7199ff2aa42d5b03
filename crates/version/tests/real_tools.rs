//! Cross-checks against the real tools: `dpkg --compare-versions` and rpm's own `rpm.vercmp`
//! (rpm 4.16+ compares full EVRs there), on pseudo-random versions built from the pieces
//! distro versions are made of. Both tools come from `scripts/install-test-deps.sh`.

use std::cmp::Ordering;
use std::process::Command;

use osprey_version::Scheme;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const UPSTREAM: [&str; 16] = [
    "0", "1", "2", "10", "01", ".", ".", "+", "~", "a", "b", "rc", "dfsg", "really", "git", "z",
];
const REVISION: [&str; 12] = [
    "1", "2", "10", "0", ".", "+", "~", "deb12u", "ubuntu", "build", "bpo", "a",
];

fn word(rng: &mut Rng, pieces: &[&str], max: u64) -> String {
    let len = 1 + rng.next() % max;
    (0..len).map(|_| rng.pick(pieces)).collect()
}

fn dpkg_version(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(20) {
        v.push_str(rng.pick(&["0:", "1:", "2:", "10:"]));
    }
    // dpkg requires the upstream part to start with a digit.
    v.push_str(rng.pick(&["0", "1", "2", "9", "10"]));
    v.push_str(&word(rng, &UPSTREAM, 6));
    if rng.chance(70) {
        v.push('-');
        v.push_str(&word(rng, &REVISION, 4));
    }
    v
}

fn tool_missing(tool: &str) -> ! {
    panic!("`{tool}` is not installed: run scripts/install-test-deps.sh")
}

#[test]
fn dpkg_agrees_with_dpkg_compare_versions() {
    let mut rng = Rng(0x5eed_0001);
    let mut checked = 0;
    for _ in 0..300 {
        let (a, b) = (dpkg_version(&mut rng), dpkg_version(&mut rng));
        let ours = osprey_version::compare(Scheme::Dpkg, &a, &b)
            .unwrap_or_else(|e| panic!("generated version rejected: {e}"));
        let op = match ours {
            Ordering::Less => "lt",
            Ordering::Equal => "eq",
            Ordering::Greater => "gt",
        };
        let status = Command::new("dpkg")
            .args(["--compare-versions", &a, op, &b])
            .status()
            .unwrap_or_else(|_| tool_missing("dpkg"));
        assert!(status.success(), "dpkg disagrees: {a} {op} {b} is false");
        checked += 1;
    }
    println!("{checked} pairs agree with dpkg --compare-versions");
}

fn rpm_part(rng: &mut Rng) -> String {
    const PIECES: [&str; 14] = [
        "0", "1", "2", "10", "01", ".", ".", "_", "~", "^", "a", "rc", "el", "git",
    ];
    word(rng, &PIECES, 6)
}

fn rpm_version(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(20) {
        v.push_str(rng.pick(&["0:", "1:", "2:"]));
    }
    v.push_str(&rpm_part(rng));
    if rng.chance(60) {
        v.push('-');
        v.push_str(&rpm_part(rng));
    }
    v
}

#[test]
fn rpm_agrees_with_rpm_vercmp() {
    let mut rng = Rng(0x5eed_0002);
    let pairs: Vec<(String, String)> = (0..400)
        .map(|_| (rpm_version(&mut rng), rpm_version(&mut rng)))
        .collect();
    // One rpm process evaluates every pair; the generated strings hold no quotes.
    let script: String = pairs
        .iter()
        .map(|(a, b)| format!("print(rpm.vercmp(\"{a}\", \"{b}\") .. \" \") "))
        .collect();
    let out = Command::new("rpm")
        .arg("--eval")
        .arg(format!("%{{lua: {script}}}"))
        .output()
        .unwrap_or_else(|_| tool_missing("rpm"));
    assert!(out.status.success(), "rpm failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(results.len(), pairs.len(), "rpm output: {text}");
    for ((a, b), theirs) in pairs.iter().zip(results) {
        let theirs = match theirs {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("unexpected rpm.vercmp result {other:?}"),
        };
        let ours = osprey_version::compare(Scheme::Rpm, a, b).expect("rpm parses everything");
        assert_eq!(ours, theirs, "rpm.vercmp({a:?}, {b:?})");
    }
    println!("{} pairs agree with rpm.vercmp", pairs.len());
}
