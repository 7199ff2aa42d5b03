#!/usr/bin/env bash
# Secret scanning, osprey against its peers, on the same inputs:
#   - trivy image --scanners secret  on the app fixture image and on debian-minbase
#   - detect-secrets scan            on a directory tree (a node_modules install)
# Findings are compared first (a fast scanner that finds less is not faster), then the median
# wall time and peak RSS of RUNS runs each (osprey and the peer alternating), printed as
# osprey/peer ratios.
# Target: osprey <= 0.25x Trivy's wall time. A third image row runs osprey with
# bench/secrets-trivy-skips.yaml, so that both tools scan the same files.
#
# Usage: bench/secrets.sh [RUNS]      (needs: cargo, jq, /usr/bin/time; peers from
#                                      scripts/install-test-deps.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
shared=${SHARED:-$here/../shared}
venv="$here/.cache/peers"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -d "$shared/images/out/app" ] || { echo "missing $shared/images/out/app" >&2; exit 1; }
bash "$here/scripts/install-test-deps.sh" >&2
cargo build --release -q -p osprey --manifest-path "$here/Cargo.toml"
osprey="$here/target/release/osprey"
trivy="$venv/bin/trivy"
detect="$venv/bin/detect-secrets"

# Inputs: the app image (docker archive), debian-minbase (built once, cached), a node tree.
app_tar="$shared/images/out/app/app.docker.tar"
minbase_dir="$here/.cache/images/debian-minbase"
if [ ! -f "$minbase_dir/debian-minbase.docker.tar" ]; then
  python3 "$shared/images/build.py" --only debian-minbase --out "$here/.cache/images" >&2
fi
minbase_tar="$minbase_dir/debian-minbase.docker.tar"
tree="$here/.cache/bench-node-tree"
if [ ! -d "$tree/node_modules" ]; then
  mkdir -p "$tree"
  echo '{"name":"bench","version":"1.0.0","private":true,"dependencies":{"express":"^4","webpack":"^5","axios":"^1"}}' >"$tree/package.json"
  (cd "$tree" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
fi

# median of a column of numbers
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# run_once NAME CMD...: one run of CMD; appends its wall seconds (from bash's microsecond
# clock: /usr/bin/time's 10 ms steps are too coarse for scans this short) and peak RSS (KB)
run_once() {
  local name=$1; shift
  local t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
  local t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' >>"$work/$name.wall"
  cat "$work/$name.time" >>"$work/$name.rss"
}

# pair A B: runs the commands in arrays cmd_a and cmd_b alternately, $runs times each, so
# both see the same machine; prints "wall rss" medians of A, then of B, on two lines
pair() {
  : >"$work/$1.wall"; : >"$work/$1.rss"; : >"$work/$2.wall"; : >"$work/$2.rss"
  for _ in $(seq "$runs"); do
    run_once "$1" "${cmd_a[@]}"
    run_once "$2" "${cmd_b[@]}"
  done
  echo "$(median <"$work/$1.wall") $(median <"$work/$1.rss")"
  echo "$(median <"$work/$2.wall") $(median <"$work/$2.rss")"
}

# findings: "file:line:rule" lines from each tool's JSON
osprey_findings() { jq -r '.Results[]? | .Target as $t | .Secrets[]? | "\($t):\(.StartLine):\(.RuleID)"' "$1" | sort -u; }
# Trivy writes layer paths with a leading `/`; osprey (like the image's own tar) without.
trivy_findings()  { jq -r '.Results[]? | (.Target | ltrimstr("/")) as $t | .Secrets[]? | "\($t):\(.StartLine):\(.RuleID)"' "$1" | sort -u; }
detect_findings() { jq -r '.results | to_entries[] | .key as $f | .value[] | "\($f):\(.line_number):\(.type)"' "$1" | sort -u; }

compare() { # label osprey_out peer_out osprey_fn peer_fn
  "$4" "$2" >"$work/a"; "$5" "$3" >"$work/b"
  echo "$1 findings: osprey $(wc -l <"$work/a"), peer $(wc -l <"$work/b"); by file:line (rules differ by name):"
  cut -d: -f1,2 "$work/a" | sort -u >"$work/a2"; cut -d: -f1,2 "$work/b" | sort -u >"$work/b2"
  echo "  both: $(comm -12 "$work/a2" "$work/b2" | wc -l)  only osprey: $(comm -23 "$work/a2" "$work/b2" | wc -l)  only peer: $(comm -13 "$work/a2" "$work/b2" | wc -l)"
  comm -3 "$work/a2" "$work/b2" | sed 's/^/    /' | head -20
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }

row() { # label osprey_result peer_result
  read -r ow orss <<<"$2"; read -r pw prss <<<"$3"
  echo "$1: osprey ${ow}s ${orss}KB, peer ${pw}s ${prss}KB -> wall ratio $(ratio "$ow" "$pw"), RSS ratio $(ratio "$orss" "$prss")"
}

export TRIVY_CACHE_DIR="$work/trivy-cache" TRIVY_DISABLE_VEX_NOTICE=1
# image_row LABEL TAR [OSPREY ARGS...]: osprey against `trivy image --scanners secret`
image_row() {
  local label=$1 tar=$2; shift 2
  cmd_a=("$osprey" image --scanners secret --format json --no-cache -q "$@" "docker-archive:$tar")
  cmd_b=("$trivy" image --scanners secret --format json --skip-db-update --offline-scan --cache-backend memory --input "$tar")
  { read -r o1 o2; read -r t1 t2; } < <(pair "osprey-$label" "trivy-$label")
  cp "$work/osprey-$label.out" "$work/osprey-$label.json"
  cp "$work/trivy-$label.out" "$work/trivy-$label.json"
  compare "$label" "$work/osprey-$label.json" "$work/trivy-$label.json" osprey_findings trivy_findings
  row "$label vs trivy" "$o1 $o2" "$t1 $t2"
}
image_row app "$app_tar"
image_row minbase "$minbase_tar"
# The same app image with osprey skipping what Trivy's secret scanner skips by default
# (node_modules, usr/lib, site-packages, Markdown, ...: 98% of the image's text; osprey
# scans all of it by default): both tools then scan the same files.
image_row app-trivy-skips "$app_tar" --secret-config "$here/bench/secrets-trivy-skips.yaml"

cmd_a=("$osprey" fs --scanners secret --format json "$tree")
cmd_b=("$detect" scan --all-files "$tree")
{ read -r o1 o2; read -r d1 d2; } < <(pair osprey-fs detect-fs)
o="$o1 $o2"; d="$d1 $d2"
cp "$work/osprey-fs.out" "$work/osprey-fs.json"
cp "$work/detect-fs.out" "$work/detect-fs.json"
compare "node tree" "$work/osprey-fs.json" "$work/detect-fs.json" osprey_findings detect_findings
row "node tree vs detect-secrets" "$o" "$d"
