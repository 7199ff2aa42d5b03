#!/usr/bin/env python3
"""Side-by-side timing of two commands on the same input, as PEERS.md asks: a warm-up run
each (--warmup N), then N alternating runs (A B A B ...), wall time and peak RSS from /usr/bin/time -v.
Prints one ratio line: median of the per-pair wall ratios and the peak-RSS ratio.

Usage: compare.py --label NAME --runs N --a-name osprey --a 'CMD' --b-name syft --b 'CMD'
Commands run through `sh -c` with stdout discarded.
"""
import argparse
import re
import statistics
import subprocess
import sys
import time


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(
        ["/usr/bin/time", "-v", "sh", "-c", cmd + " >/dev/null"],
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {cmd}\n{p.stderr[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return wall, int(m.group(1)) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--a-name", required=True)
    ap.add_argument("--a", required=True)
    ap.add_argument("--b-name", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs of each command first")
    ap.add_argument("--prepare-a", default="", help="run before every A run, untimed")
    ap.add_argument("--prepare-b", default="", help="run before every B run, untimed")
    args = ap.parse_args()

    def once(prep, cmd):
        if prep:
            subprocess.run(["sh", "-c", prep], check=True)
        return run(cmd)

    for _ in range(args.warmup):
        once(args.prepare_a, args.a)
        once(args.prepare_b, args.b)
    a_wall, b_wall, a_rss, b_rss, ratios = [], [], [], [], []
    for _ in range(args.runs):
        wa, ra = once(args.prepare_a, args.a)
        wb, rb = once(args.prepare_b, args.b)
        a_wall.append(wa)
        b_wall.append(wb)
        a_rss.append(ra)
        b_rss.append(rb)
        ratios.append(wa / wb)
    med = statistics.median
    print(
        f"{args.label}: {args.a_name} {med(a_wall):.3f}s {max(a_rss)/1024:.1f}MiB | "
        f"{args.b_name} {med(b_wall):.3f}s {max(b_rss)/1024:.1f}MiB | "
        f"wall ratio {med(ratios):.3f}x  rss ratio {max(a_rss)/max(b_rss):.3f}x  (runs={args.runs})"
    )


if __name__ == "__main__":
    main()
