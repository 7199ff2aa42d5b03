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
# no work saved in the sensor can go below. Wall-clock ratios swing with whatever else the
# machine runs, so each line also gives CPU-time ratios (user + system time of the loop and
# its children: the hooks run in the workload's own context) and the CPU the sensor process
# itself spent per operation (its enrichment and rules, on another CPU when one is free).
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

# Rounds "base_wall base_cpu empty_wall empty_cpu with_wall with_cpu sensor_cpu" on stdin;
# prints the medians: base wall, floor and sensor wall ratios, floor and sensor CPU ratios,
# sensor process CPU us/op.
summarize() {
  python3 -c '
import statistics, sys
rounds = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
med = lambda xs: statistics.median(list(xs))
print(" ".join(f"{v:.3f}" for v in (
    med(r[0] for r in rounds),
    med(r[2] / r[0] for r in rounds), med(r[4] / r[0] for r in rounds),
    med(r[3] / r[1] for r in rounds), med(r[5] / r[1] for r in rounds),
    med(r[6] for r in rounds))))'
}

# CPU time (us) the sensor process has used so far, over all its threads.
sensor_cpu_us() {
  cat /proc/"$sensor"/task/*/schedstat | awk '{ns += $1} END {printf "%.0f", ns / 1000}'
}

overhead() {
  local mode=$1 n=$2
  for _ in $(seq "$runs"); do
    base=$("$work/loops" "$mode" "$n")
    start_sensor --empty-hooks
    empty=$("$work/loops" "$mode" "$n")
    stop_sensor
    start_sensor
    c0=$(sensor_cpu_us)
    with=$("$work/loops" "$mode" "$n")
    c1=$(sensor_cpu_us)
    stop_sensor
    echo "$base $empty $with $(python3 -c "print(($c1 - $c0) / $n)")"
  done | summarize
}

echo "machine: $(nproc) CPUs, kernel $(uname -r); $runs alternating rounds per workload; load: $(cut -d' ' -f1-3 /proc/loadavg)"
report() {
  local what=$1 b re rw ce cw sc
  read -r b re rw ce cw sc
  echo "$what: ${b} us/op without; median ratio: floor (empty hooks) ${re}x, sensor ${rw}x (target <= 1.02)"
  echo "  CPU time of the workload: floor ${ce}x, sensor ${cw}x; the sensor process used ${sc} us/op"
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
