#!/usr/bin/env python3
"""(package, vulnerability) pairs of two Trivy-shaped JSON reports, compared.

A pair is (package name, installed version, vulnerability). Trivy keys OSV advisories by
their CVE alias and lists the record's own id (GHSA, PYSEC, RUSTSEC, GO) in VendorIDs; a
scanner may pick the other one as primary. So two findings on the same package and version
are the same pair when their id sets ({VulnerabilityID} + VendorIDs) share an id.

Every Trivy pair must be among osprey's ("missing" otherwise). Every osprey pair Trivy does not
report ("extra") must be explained in bench/PARITY.md: a table row whose first cells are
`| image | package | id |` (the id may be any id of the finding) or `| image | package | * |`
for a package-wide reason.

Usage:
  parity.py --name IMAGE --trivy T.json --osprey O.json [--explained bench/PARITY.md]
Prints one summary line, then the missing and extra pairs; exit status 1 when a Trivy pair is
missing or (with --explained) an extra pair is not explained.
"""
import argparse
import json
import re
import sys


def norm_name(name):
    # Trivy and osprey agree on spellings except Python's: PEP 503 makes `_`/`.` equal to `-`.
    return re.sub(r"[-_.]+", "-", name.lower())


def findings(path):
    """[(name, version, ids, primary id, target)] of a report."""
    out = []
    with open(path) as f:
        report = json.load(f)
    for result in report.get("Results") or []:
        for v in result.get("Vulnerabilities") or []:
            ids = {v["VulnerabilityID"], *(v.get("VendorIDs") or [])}
            out.append(
                (
                    norm_name(v["PkgName"]),
                    v.get("InstalledVersion", ""),
                    frozenset(ids),
                    v["VulnerabilityID"],
                    result.get("Target", ""),
                )
            )
    return out


def pairs(items):
    """Collapse findings to pairs: one per (package, version, primary id)."""
    seen = {}
    for name, version, ids, primary, target in items:
        key = (name, version, primary)
        if key in seen:
            seen[key] = (name, version, seen[key][2] | ids, primary, target)
        else:
            seen[key] = (name, version, ids, primary, target)
    return list(seen.values())


def covered(pair, others):
    name, version, ids = pair[:3]
    return any(o[0] == name and o[1] == version and o[2] & ids for o in others)


def explained_rows(path, image):
    """{(package, id)} explained for `image` (or `*`) in the PARITY.md tables."""
    rows = set()
    with open(path) as f:
        for line in f:
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if len(cells) >= 4 and cells[0] in (image, "*"):
                rows.add((norm_name(cells[1]), cells[2]))
    return rows


def compare(name, trivy_path, osprey_path, explained=None):
    trivy = pairs(findings(trivy_path))
    osprey = pairs(findings(osprey_path))
    missing = [p for p in trivy if not covered(p, osprey)]
    extra = [p for p in osprey if not covered(p, trivy)]
    common = len(trivy) - len(missing)
    unexplained = []
    if explained is not None:
        rows = explained_rows(explained, name)
        for p in extra:
            if (p[0], "*") not in rows and not any((p[0], i) in rows for i in p[2]):
                unexplained.append(p)
    return trivy, osprey, common, missing, extra, unexplained


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--trivy", required=True)
    ap.add_argument("--osprey", required=True)
    ap.add_argument("--explained", help="bench/PARITY.md")
    args = ap.parse_args()
    trivy, osprey, common, missing, extra, unexplained = compare(
        args.name, args.trivy, args.osprey, args.explained
    )
    print(
        f"{args.name}: pairs trivy={len(trivy)} osprey={len(osprey)} common={common} "
        f"missing={len(missing)} extra={len(extra)} unexplained={len(unexplained)}"
    )
    for p in sorted(missing, key=lambda p: (p[0], p[3])):
        print(f"  missing (trivy only): {p[0]} {p[1]} {p[3]} ({p[4]})")
    for p in sorted(extra, key=lambda p: (p[0], p[3])):
        flag = " UNEXPLAINED" if p in unexplained else ""
        print(f"  extra (osprey only): {p[0]} {p[1]} {p[3]} {sorted(p[2] - {p[3]})}{flag}")
    sys.exit(1 if missing or unexplained else 0)


if __name__ == "__main__":
    main()
