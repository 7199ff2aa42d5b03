#!/usr/bin/env bash
# Runtime sensor cost, measured with the real `osprey runtime run` (eBPF sensor + enrichment +
# the upstream stable rules) on two workloads written in C (bench/lib/runtime_loops.c):
#   - spawn: posix_spawn + wait of /bin/true, SPAWNS times (exec/fork/exit hooks, exec records)
#   - open:  open + close of /etc/hostname, OPENS times (an openat no stable rule can match:
#            dropped in the kernel by the rule-derived path filter, crates/runtime/src/prefilter.rs)
# Each is run RUNS times without the sensor, with its hooks attached but empty (`osprey runtime
# run --empty-hooks`: every program returns at once), and with the sensor, alternating; the
# figures are the medians of the per-round ratios to the run without (target <= 1.02x). The
# empty-hooks ratio is the floor: the kernel's cost of the attach points themselves (a traced
# sys_exit sends every syscall of the machine down the syscall-tracepoint slow path), which
# no work saved in the sensor can go below.
# Then an event storm: opens for writing (which the stable rules examine whatever the path, so
# each reaches userspace) paced at STORM events/s for STORM_SECS seconds under the sensor; the
# sensor's own counters give the kernel-side drops (target 0) and what userspace received.
# Finally the rule-engine throughput driver (bench/runtime-engine.sh), when present.
# No peer: Falco's driver is not installable on this kernel.
#
# Usage: bench/runtime.sh [RUNS]   (RUNS default 5; SPAWNS=2000 OPENS=200000 STORM=100000
#                                   STORM_SECS=5 change the workloads; OSPREY=BIN uses a
#                                   prebuilt binary; needs root and a C compiler)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
spawns=${SPAWNS:-2000}
opens=${OPENS:-200000}
storm=${STORM:-100000}
storm_secs=${STORM_SECS:-5}
work=$(mktemp -d)
sensor=""
cleanup() {
  if [ -n "$sensor" ]; then kill -INT "$sensor" 2>/dev/null || true; wait "$sensor" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench/runtime.sh needs root (eBPF)" >&2; exit 1; }

if [ -n "${OSPREY:-}" ]; then
  osprey=$OSPREY   # a prebuilt binary (e.g. to skip the release build)
else
  cargo build --release -q -p osprey --manifest-path "$here/Cargo.toml"
  osprey="$here/target/release/osprey"
fi
cc -O2 -o "$work/loops" "$here/bench/lib/runtime_loops.c"

# start_sensor [--empty-hooks]
start_sensor() {
  "$osprey" runtime run --format json "$@" >"$work/alerts.jsonl" 2>"$work/sensor.err" &
  sensor=$!
  for _ in $(seq 200); do
    grep -q "filtered in kernel\|empty hooks attached" "$work/sensor.err" 2>/dev/null && return 0
    kill -0 "$sensor" 2>/dev/null || { cat "$work/sensor.err" >&2; exit 1; }
    sleep 0.1
  done
  echo "sensor did not start" >&2; cat "$work/sensor.err" >&2; exit 1
}
stop_sensor() {
  kill -INT "$sensor"; wait "$sensor"; sensor=""
}

# prints "median_base median_empty median_with median_empty_ratio median_with_ratio" for
# rounds "base empty with" on stdin
summarize() {
  python3 -c '
import statistics, sys
rounds = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
med = lambda xs: statistics.median(list(xs))
print(" ".join(f"{v:.3f}" for v in (
    med(r[0] for r in rounds), med(r[1] for r in rounds), med(r[2] for r in rounds),
    med(r[1] / r[0] for r in rounds), med(r[2] / r[0] for r in rounds))))'
}

overhead() {
  local mode=$1 n=$2
  for _ in $(seq "$runs"); do
    base=$("$work/loops" "$mode" "$n")
    start_sensor --empty-hooks
    empty=$("$work/loops" "$mode" "$n")
    stop_sensor
    start_sensor
    with=$("$work/loops" "$mode" "$n")
    stop_sensor
    echo "$base $empty $with"
  done | summarize
}

echo "machine: $(nproc) CPUs, kernel $(uname -r); $runs alternating rounds per workload; load: $(cut -d' ' -f1-3 /proc/loadavg)"
report() {
  local what=$1 b e w re rw
  read -r b e w re rw
  echo "$what: ${b} us/op without, ${e} with empty hooks, ${w} with sensor; median ratio: floor (empty hooks) ${re}x, sensor ${rw}x (target <= 1.02)"
}
overhead spawn "$spawns" | report "spawn  /bin/true x$spawns"
overhead open "$opens" | report "open+close x$opens"

start_sensor
read -r done rate < <("$work/loops" storm "$storm" "$storm_secs")
sleep 1
stop_sensor
stats=$(grep "kernel submitted" "$work/sensor.err")
drops=$(sed -n 's/.*dropped \([0-9]*\) (ring full).*/\1/p' <<<"$stats")
echo "storm: $done opens for writing in ${storm_secs}s (${rate} events/s requested ${storm}/s); sensor dropped ${drops} (target 0)"
echo "  ${stats#sensor: }"

if [ -x "$here/bench/runtime-engine.sh" ] || [ -f "$here/bench/runtime-engine.sh" ]; then
  SKIP_CLI=1 bash "$here/bench/runtime-engine.sh"
else
  echo "rule-engine throughput: bench/runtime-engine.sh not present"
fi
