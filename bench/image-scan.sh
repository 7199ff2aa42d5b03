#!/usr/bin/env bash
# Vulnerability scanning of an image, osprey against Trivy 0.76, same advisory content
# (both databases built from ../shared/vulndata), on the app fixture and debian-minbase:
#   1. findings first: (package, vulnerability) pairs compared (bench/lib/parity.py);
#   2. cold cache: osprey with an emptied layer cache vs Trivy with --cache-backend memory;
#   3. warm cache: the same image again, osprey's layer cache and Trivy's fs cache filled;
#   4. the floor: `gzip -dc` over every layer blob of the image, vs osprey cold.
# Alternating runs, median wall and peak-RSS ratios (bench/lib/compare.py).
# Targets (issue 6): cold <= 0.33x Trivy wall and <= 0.5x its RSS; warm rescan <= 50 ms;
# cold <= 1.3x the gzip floor.
#
# Usage: bench/image-scan.sh [RUNS]   (needs: cargo, python3, /usr/bin/time, gzip; Trivy
#                                      through ../shared/tools/trivy-db)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
shared=${SHARED:-$here/../shared}
export TRIVY_DB_HOME=${TRIVY_DB_HOME:-$here/.cache/trivy-db}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p osprey --manifest-path "$here/Cargo.toml"
osprey="$here/target/release/osprey"
minbase="$here/.cache/images/debian-minbase/debian-minbase.docker.tar"
if [ ! -f "$minbase" ]; then
  python3 "$shared/images/build.py" --only debian-minbase --out "$here/.cache/images" >&2
fi

"$osprey" db build --from "$shared/vulndata" --out "$work/osprey.db" >/dev/null
trivy_home="$TRIVY_DB_HOME/trivy-cache"   # holds db/trivy.db once run-trivy.sh has built it
trivy="$TRIVY_DB_HOME/venv/bin/trivy"
trivy_args="--cache-dir $trivy_home --skip-db-update --skip-java-db-update --skip-check-update --offline-scan --scanners vuln --format json --quiet"

for img in "$shared/images/out/app/app.docker.tar" "$minbase"; do
  name=$(basename "$img" .docker.tar)
  # 1. findings (this also builds the Trivy DB on first use)
  bash "$shared/tools/trivy-db/run-trivy.sh" "$img" "$work/$name.trivy.json" 2>/dev/null
  "$osprey" image "docker-archive:$img" --scanners vuln --show-unimportant --db "$work/osprey.db" --no-cache -q \
    --format json --output "$work/$name.osprey.json"
  python3 "$here/bench/lib/parity.py" --name "$name" --trivy "$work/$name.trivy.json" \
    --osprey "$work/$name.osprey.json" | head -1

  o_cmd="$osprey image docker-archive:$img --scanners vuln --show-unimportant --db $work/osprey.db --cache-dir $work/ocache -q --format json"
  t_cold="$trivy image --input $img --cache-backend memory $trivy_args"
  t_warm="$trivy image --input $img --cache-backend fs $trivy_args"
  # Trivy's fs cache lives under --cache-dir/fanal; clear only that, never the DB.
  python3 "$here/bench/lib/compare.py" --label "image-scan $name (cold cache)" --runs "$runs" \
    --prepare-a "rm -rf $work/ocache" --a-name osprey --a "$o_cmd" \
    --b-name trivy --b "$t_cold"
  python3 "$here/bench/lib/compare.py" --label "image-scan $name (warm cache)" --runs "$runs" \
    --a-name osprey --a "$o_cmd" --b-name trivy --b "$t_warm"
  rm -rf "$trivy_home/fanal"

  # 4. the floor: inflate every layer blob of the image, nothing else
  mkdir -p "$work/layers-$name"
  python3 - "$img" "$work/layers-$name" <<'PY'
import json, sys, tarfile
img, dest = sys.argv[1:]
with tarfile.open(img) as t:
    layers = json.load(t.extractfile("manifest.json"))[0]["Layers"]
    for i, name in enumerate(layers):
        with open(f"{dest}/{i:03d}.gz", "wb") as f:
            f.write(t.extractfile(name).read())
PY
  python3 "$here/bench/lib/compare.py" --label "image-scan $name (cold cache vs gzip -dc floor)" \
    --runs "$runs" --prepare-a "rm -rf $work/ocache" --a-name osprey --a "$o_cmd" \
    --b-name gzip-dc --b "gzip -dc $work/layers-$name/*.gz"
done
