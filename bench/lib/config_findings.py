#!/usr/bin/env python3
"""Compares misconfiguration findings of osprey, checkov, `trivy config` and hadolint on one
corpus, per rule family.

Peer rule IDs are mapped to osprey checks through the cross-references osprey's findings carry
(`References: ["hadolint:DL3002", "checkov:CKV_DOCKER_8", "trivy:DS-0002"]`), read from an
osprey report made with --include-passed so that checks which did not fail still give their
references (at --pss-level restricted the restricted PSS checks replace the baseline ones they
supersede, so a baseline-level report is passed too, with --osprey-refs, for their references).
Each osprey check belongs to one family below; a peer finding counts in the family
of the osprey checks its ID is referenced by, or as unmapped.

The unit compared is a (file, family) pair, "files flagged": the tools split findings
differently (hadolint one per line, trivy one per file, checkov one per resource, osprey one per
occurrence), but whether a file has a problem of a kind is the same question for all of them.

Usage: config_findings.py --root CORPUS --osprey O.json [--osprey-refs O2.json]... [--checkov C.json]
                          [--trivy T.json] [--hadolint H.json] [--diffs FILE]
"""
import argparse
import collections
import json
import os
import sys

# family -> osprey check IDs (prefix match on OSP-DF-/OSP-K8S- numbers, exact on pss:).
FAMILIES = [
    ("df: root user / no USER", ["OSP-DF-001", "OSP-DF-002"]),
    ("df: base latest/untagged", ["OSP-DF-010", "OSP-DF-011"]),
    ("df: stages, base pins", ["OSP-DF-012", "OSP-DF-013", "OSP-DF-014", "OSP-DF-015", "OSP-DF-016", "OSP-DF-017", "OSP-DF-018"]),
    ("df: ADD", ["OSP-DF-020", "OSP-DF-021", "OSP-DF-022"]),
    ("df: curl|sh, pipes", ["OSP-DF-030", "OSP-DF-031", "OSP-DF-033"]),
    ("df: TLS/signature off", ["OSP-DF-0%d" % n for n in range(40, 55)]),
    ("df: apt hygiene", ["OSP-DF-0%d" % n for n in range(60, 67)]),
    ("df: apk hygiene", ["OSP-DF-070", "OSP-DF-071", "OSP-DF-072"]),
    ("df: yum/dnf/zypper", ["OSP-DF-0%d" % n for n in range(80, 90)]),
    ("df: pip/npm/gem/go pins", ["OSP-DF-0%d" % n for n in range(90, 96)]),
    ("df: secrets, passwords", ["OSP-DF-100", "OSP-DF-101", "OSP-DF-102", "OSP-DF-004"]),
    ("df: sudo, useradd", ["OSP-DF-003", "OSP-DF-005"]),
    ("df: ports", ["OSP-DF-110", "OSP-DF-111"]),
    ("df: HEALTHCHECK", ["OSP-DF-122"]),
    ("df: instruction hygiene", ["OSP-DF-1%d" % n for n in (20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31)]),
    ("k8s: privileged", ["pss:privileged"]),
    ("k8s: privilege escalation", ["pss:allowPrivilegeEscalation"]),
    ("k8s: runs as root", ["pss:runAsNonRoot", "pss:runAsUser", "OSP-K8S-018", "OSP-K8S-019"]),
    ("k8s: host namespaces", ["pss:hostNamespaces"]),
    ("k8s: hostPath, sockets", ["pss:hostPathVolumes", "pss:restrictedVolumes", "OSP-K8S-013", "OSP-K8S-014"]),
    ("k8s: hostPort", ["pss:hostPorts"]),
    ("k8s: capabilities", ["pss:capabilities_baseline", "pss:capabilities_restricted", "OSP-K8S-015", "OSP-K8S-016", "OSP-K8S-017"]),
    ("k8s: seccomp", ["pss:seccompProfile_baseline", "pss:seccompProfile_restricted"]),
    ("k8s: other PSS", ["pss:appArmorProfile", "pss:seLinuxOptions", "pss:procMount", "pss:procMount_restricted", "pss:sysctls", "pss:windowsHostProcess", "pss:hostProbesAndHostLifecycle"]),
    ("k8s: image tag/digest/pull", ["OSP-K8S-008", "OSP-K8S-009", "OSP-K8S-010"]),
    ("k8s: resources", ["OSP-K8S-001", "OSP-K8S-002", "OSP-K8S-003", "OSP-K8S-004"]),
    ("k8s: probes", ["OSP-K8S-021", "OSP-K8S-022"]),
    ("k8s: read-only rootfs", ["OSP-K8S-005"]),
    ("k8s: SA token / default SA", ["OSP-K8S-006", "OSP-K8S-007", "OSP-K8S-075"]),
    ("k8s: no securityContext", ["OSP-K8S-020"]),
    ("k8s: namespace", ["OSP-K8S-023", "OSP-K8S-024"]),
    ("k8s: secrets in manifests", ["OSP-K8S-011", "OSP-K8S-012", "OSP-K8S-080"]),
    ("k8s: network, RBAC, other", ["OSP-K8S-025", "OSP-K8S-026", "OSP-K8S-027"] + ["OSP-K8S-0%d" % n for n in range(40, 81)]),
]
FAMILY_OF = {osp: fam for fam, ids in FAMILIES for osp in ids}
PEERS = ["checkov", "trivy", "hadolint"]


def rel(root, path):
    """A path relative to the corpus root; checkov's relative paths start with '/'."""
    return os.path.relpath(path, root) if os.path.isabs(path) else path.lstrip("/")


def load(path):
    with open(path) as f:
        return json.load(f)


def osprey(root, path, refs):
    """Findings [(file, osprey ID)] of one report; adds its references to `refs`
    ({tool: {peer ID: {osprey IDs}}})."""
    findings = []
    for r in load(path).get("Results") or []:
        for m in r.get("Misconfigurations") or []:
            for ref in m.get("References") or []:
                tool, _, pid = ref.partition(":")
                if tool in PEERS and pid:
                    refs[tool][pid].add(m["ID"])
            if m.get("Status") == "FAIL":
                findings.append((rel(root, r["Target"]), m["ID"]))
    return findings


def checkov(root, path):
    reports = load(path)
    if isinstance(reports, dict):
        reports = [reports]
    return [(rel(root, c.get("file_abs_path") or c["file_path"]), c["check_id"])
            for rep in reports for c in rep.get("results", {}).get("failed_checks", [])]


def trivy(root, path):
    return [(rel(root, r["Target"]), m["ID"])
            for r in load(path).get("Results") or [] for m in r.get("Misconfigurations") or []
            if m.get("Status", "FAIL") == "FAIL"]


def hadolint(root, path):
    return [(rel(root, f["file"]), f["code"]) for f in load(path)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--osprey", required=True)
    ap.add_argument("--osprey-refs", action="append", default=[], help="a report read for references only")
    for p in PEERS:
        ap.add_argument("--" + p)
    ap.add_argument("--diffs", help="write the (file, family) pairs the tools disagree on here")
    args = ap.parse_args()
    root = os.path.abspath(args.root)

    refs = collections.defaultdict(lambda: collections.defaultdict(set))
    o_findings = osprey(root, args.osprey, refs)
    for extra in args.osprey_refs:
        osprey(root, extra, refs)
    found = {"osprey": o_findings}
    loaders = {"checkov": checkov, "trivy": trivy, "hadolint": hadolint}
    for p in PEERS:
        if getattr(args, p):
            found[p] = loaders[p](root, getattr(args, p))

    def families_of(tool, rule):
        if tool == "osprey":
            return {FAMILY_OF.get(rule, "unlisted osprey check")}
        return {FAMILY_OF[o] for o in refs[tool].get(rule, ()) if o in FAMILY_OF}

    flagged = {t: collections.defaultdict(set) for t in found}  # tool -> family -> files
    raw = {t: collections.Counter() for t in found}  # tool -> family -> findings
    unmapped = {t: collections.Counter() for t in found}
    for tool, items in found.items():
        for file, rule in items:
            fams = families_of(tool, rule)
            if not fams:
                unmapped[tool][rule] += 1
            for fam in fams:
                flagged[tool][fam].add(file)
                raw[tool][fam] += 1
    # A peer has a check in a family when any of its IDs is referenced by the family's checks.
    covers = {p: {FAMILY_OF[o] for ids in refs[p].values() for o in ids if o in FAMILY_OF} for p in found if p != "osprey"}

    tools = list(found)
    print("Files flagged per rule family (a peer cell is 'files (also flagged by osprey)'; "
          "'-' = the peer has no check osprey maps to that family):")
    w = max(len(f) for f, _ in FAMILIES) + 2
    print("family".ljust(w) + "".join(t.rjust(16) for t in tools))
    diffs = []
    for fam, _ in FAMILIES + [("unlisted osprey check", [])]:
        o = flagged["osprey"].get(fam, set())
        if not o and not any(flagged[p].get(fam) for p in tools[1:]):
            continue
        cells = [str(len(o))]
        for p in tools[1:]:
            files = flagged[p].get(fam, set())
            if fam not in covers[p] and not files:
                cells.append("-")
                continue
            cells.append(f"{len(files)} ({len(files & o)})")
            diffs += [(fam, p, "only osprey", f) for f in sorted(o - files)]
            diffs += [(fam, p, "only " + p, f) for f in sorted(files - o)]
        print(fam.ljust(w) + "".join(c.rjust(16) for c in cells))
    print("total findings".ljust(w) + "".join(str(len(found[t])).rjust(16) for t in tools))
    print("unmapped findings".ljust(w) + "".join(str(sum(unmapped[t].values())).rjust(16) for t in tools))
    for t in tools[1:]:
        top = ", ".join(f"{k} {v}" for k, v in unmapped[t].most_common(8))
        print(f"  {t} unmapped, most frequent: {top or 'none'}")
    if args.diffs:
        with open(args.diffs, "w") as f:
            for d in diffs:
                f.write("\t".join(d) + "\n")


if __name__ == "__main__":
    sys.exit(main())
