#!/usr/bin/env bash
# Rule-engine throughput: all three upstream Falco rule files loaded (81 enabled rules), a
# generated stream of EVENTS events (default 1,000,000) evaluated on one thread.
#   - "mixed":    opens, execs, connects plus reads/writes/closes no rule names (realistic)
#   - "relevant": only event types the rules name (opens, execs, connects): the worst case
# Each stream carries the replay-test attack events every 1000th event, so alerts are counted.
# Prints events/s per core for evaluation alone, then the end-to-end `osprey runtime replay`
# rate (JSON parsing included). No peer: Falco is not installable here.
# Target: >= 1,000,000 events/s per core for evaluation. "Per core" is the evaluation loop's
# CPU time (one thread, /proc/self/stat), so a busy shared machine does not skew it; wall time
# is printed beside it.
#
# The "match digest" hashes every (event, rule) match: equal digests mean identical verdicts, so
# compare it before and after an engine change; ALL_MATCHES=1 reports every matching rule per
# event instead of the first, covering every rule's verdict.
#
# Usage: bench/runtime-engine.sh [EVENTS]    (the sensor's bench/runtime.sh may call this)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
events=${1:-1000000}
rules="$here/crates/runtime/rules"
work="$here/.cache/bench-runtime"
mkdir -p "$work"

cargo build --release -q -p osprey-runtime --example engine_bench --manifest-path "$here/Cargo.toml"
bench="$here/target/release/examples/engine_bench"
all_rules=("$rules/falco_rules.yaml" "$rules/falco-incubating_rules.yaml" "$rules/falco-sandbox_rules.yaml")

for kind in mixed relevant; do
  stream="$work/$kind-$events.jsonl"
  if [ ! -s "$stream" ]; then
    if [ "$kind" = relevant ]; then "$bench" generate "$events" "$stream" --relevant-only
    else "$bench" generate "$events" "$stream"; fi
  fi
  echo "engine $kind: $("$bench" run "$stream" "${all_rules[@]}")"
done

if [ "${SKIP_CLI:-0}" != 1 ]; then
  cargo build --release -q -p osprey --manifest-path "$here/Cargo.toml"
  stream="$work/mixed-$events.jsonl"
  args=(); for r in "${all_rules[@]}"; do args+=(--rules "$r"); done
  /usr/bin/time -f '%e %M' -o "$work/replay.time" \
    "$here/target/release/osprey" runtime replay "$stream" "${args[@]}" --format json >/dev/null 2>"$work/replay.err"
  read -r wall rss <"$work/replay.time"
  echo "osprey runtime replay (parse + eval + JSON alerts): $events events in ${wall}s," \
    "$(awk -v n="$events" -v s="$wall" 'BEGIN {printf "%.0f", n / s}') events/s, peak RSS ${rss} KB; $(tail -1 "$work/replay.err")"
fi
