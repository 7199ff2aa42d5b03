//! Every CVSS v3.x and v4.0 vector in `shared/vulndata/osv` scores as the reference `cvss`
//! Python library (3.6) scores it (`tests/data/cvss-scores.txt`, regenerated with
//! `python -c 'from cvss import CVSS3, CVSS4; …'` over the feed files).

use osprey_vuln::cvss;

#[test]
fn every_feed_vector_matches_the_reference_library() {
    let text = include_str!("data/cvss-scores.txt");
    let mut checked = [0usize; 2];
    let mut wrong = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (vector, expected) = line.rsplit_once(' ').unwrap();
        let expected: f64 = expected.parse().unwrap();
        let got = cvss::score(vector).unwrap_or_else(|e| panic!("{e}"));
        checked[usize::from(vector.starts_with("CVSS:4"))] += 1;
        if (got - expected).abs() > 1e-9 {
            wrong.push(format!("{vector}: {got} != {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked[0] >= 100 && checked[1] >= 40, "{checked:?}");
}
