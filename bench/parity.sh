#!/usr/bin/env bash
# Vulnerability parity with Trivy 0.76 on identical advisory data (issue 6):
# both scanners get a database built from the same ../shared/vulndata (osprey: `osprey db
# build`; Trivy: ../shared/tools/trivy-db), both scan every fixture image offline, and their
# (package, vulnerability) pairs are compared by bench/lib/parity.py:
#   every pair Trivy reports must be reported by osprey ("missing" otherwise), and every
#   extra osprey pair must be explained in bench/PARITY.md.
# Exit status 1 when a pair is missing or an extra one is unexplained.
#
# Usage: bench/parity.sh [OUT_DIR]   (reports kept in OUT_DIR, default .cache/parity)
# env:   OSPREY     osprey binary (default: a release build of this checkout)
#        TRIVY_DB_HOME  where the Trivy tool works (default .cache/trivy-db)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$here/../shared}
out=${1:-$here/.cache/parity}
export TRIVY_DB_HOME=${TRIVY_DB_HOME:-$here/.cache/trivy-db}
mkdir -p "$out"

if [ -z "${OSPREY:-}" ]; then
  cargo build --release -q -p osprey --manifest-path "$here/Cargo.toml"
  OSPREY="$here/target/release/osprey"
fi
minbase="$here/.cache/images/debian-minbase/debian-minbase.docker.tar"
if [ ! -f "$minbase" ]; then
  python3 "$shared/images/build.py" --only debian-minbase --out "$here/.cache/images" >&2
fi

"$OSPREY" db build --from "$shared/vulndata" --out "$out/osprey.db" >&2

# --show-unimportant: Trivy reports Debian `unimportant` entries (as LOW); osprey hides them
# unless asked, so it is asked here for a like-for-like comparison.
status=0
for img in "$shared"/images/out/*/*.docker.tar "$minbase"; do
  name=$(basename "$img" .docker.tar)
  bash "$shared/tools/trivy-db/run-trivy.sh" "$img" "$out/$name.trivy.json" 2>/dev/null
  "$OSPREY" image "docker-archive:$img" --scanners vuln --show-unimportant --db "$out/osprey.db" --no-cache -q \
    --format json --output "$out/$name.osprey.json"
  python3 "$here/bench/lib/parity.py" --name "$name" --trivy "$out/$name.trivy.json" \
    --osprey "$out/$name.osprey.json" --explained "$here/bench/PARITY.md" || status=1
done
exit $status
