#!/usr/bin/env bash
# osprey sbom vs syft on the app fixture and debian-minbase: package sets first, then
# alternating timed runs (median wall ratio, peak RSS ratio). Syft's start-up is counted.
# Targets (issue 2): <= 0.2x syft wall time, <= 0.5x its memory.
# Usage: bench/sbom.sh [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
shared="$here/../shared"
bash "$here/scripts/install-test-deps.sh" >&2
export PATH="$here/.cache/peers/bin:$PATH"
cargo build --release -q -p osprey --manifest-path "$here/Cargo.toml"
osprey="$here/target/release/osprey"

minbase="$here/.cache/images/out/debian-minbase"
if [ ! -f "$minbase/expected.json" ]; then
  python3 "$shared/images/build.py" --only debian-minbase --out "$here/.cache/images/out" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

compare_sets() { # name osprey-ref syft-ref
  "$osprey" sbom "$2" --format cyclonedx --no-cache -q -o "$work/o.json"
  SYFT_CHECK_FOR_APP_UPDATE=false syft -q "$3" -o cyclonedx-json > "$work/s.json"
  python3 - "$1" "$work/o.json" "$work/s.json" <<'PY'
import json, sys
name, o, s = sys.argv[1:]
# Spelling differences only: syft lower-cases Python names and writes Go's stdlib as the
# toolchain does (go1.19.8); osprey keeps the dist-info name and writes v1.19.8 as Trivy does.
def norm(c):
    name, version = c["name"], c.get("version", "")
    if name == "stdlib":
        version = version.removeprefix("go").removeprefix("v")
    return (name.lower(), version)
def comps(p):
    return {norm(c) for c in json.load(open(p)).get("components", [])
            if c.get("type") != "operating-system"}
a, b = comps(o), comps(s)
print(f"{name}: packages osprey={len(a)} syft={len(b)} common={len(a & b)}")
for x in sorted(a - b): print(f"  only osprey: {x}")
for x in sorted(b - a): print(f"  only syft:   {x}")
PY
}

for img in "$shared/images/out/app/app.docker.tar" "$minbase/debian-minbase.docker.tar"; do
  name=$(basename "$img" .docker.tar)
  compare_sets "$name" "docker-archive:$img" "docker-archive:$img"
  python3 "$here/bench/lib/compare.py" --label "sbom $name (cold cache)" --runs "$runs" \
    --a-name osprey --a "$osprey sbom docker-archive:$img --format cyclonedx --no-cache -q" \
    --b-name syft --b "SYFT_CHECK_FOR_APP_UPDATE=false syft -q docker-archive:$img -o cyclonedx-json"
done
