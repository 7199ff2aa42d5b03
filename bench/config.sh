#!/usr/bin/env bash
# Config scanning, osprey against its peers on one generated corpus:
#   - checkov -d CORPUS --framework kubernetes dockerfile       (whole corpus)
#   - trivy config --misconfig-scanners dockerfile,kubernetes   (whole corpus, offline)
#   - hadolint FILE...                                          (the Dockerfiles only)
# The corpus (>= 1,000 files: manifests derived from ../shared/fixtures/policy and Dockerfiles
# built from snippets, seeded mutations) is generated into a temp dir by bench/lib/config_corpus.py.
# Findings are compared first, per rule family (bench/lib/config_findings.py), then wall time
# and peak RSS by bench/lib/compare.py: RUNS alternating runs, median of the per-pair ratios.
# Every peer runs as one process over the whole input, so its start-up time (Python imports
# for checkov, loading the embedded Rego checks for trivy) is part of its time, as osprey's is.
# osprey runs with --pss-level restricted, the level whose checks the peers also run.
# Targets: osprey <= 0.02x checkov, <= 0.2x trivy, <= 1x hadolint (wall time).
#
# Usage: bench/config.sh [RUNS]        (RUNS default 3; KEEP_WORK=1 keeps the temp dir;
#                                       K8S=N DOCKER=N change the corpus size, default 600 each)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
shared=${SHARED:-$here/../shared}
venv="$here/.cache/peers"
work=$(mktemp -d)
if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

[ -d "$shared/fixtures/policy" ] || { echo "missing $shared/fixtures/policy" >&2; exit 1; }
bash "$here/scripts/install-test-deps.sh" >&2
cargo build --release -q -p osprey --manifest-path "$here/Cargo.toml"
osprey="$here/target/release/osprey"
checkov="$venv/bin/checkov"
trivy="$venv/bin/trivy"
hadolint="$venv/bin/hadolint"

corpus="$work/corpus"
python3 "$here/bench/lib/config_corpus.py" --fixtures "$shared/fixtures/policy" --out "$corpus" \
  --k8s "${K8S:-600}" --docker "${DOCKER:-600}"
n_k8s=$(find "$corpus/k8s" -type f | wc -l)
n_df=$(find "$corpus/docker" -name Dockerfile | wc -l)
echo "corpus: $((n_k8s + n_df)) files ($n_k8s Kubernetes manifests, $n_df Dockerfiles)"
echo "versions: osprey $("$osprey" --version | awk '{print $NF}'), checkov $("$checkov" --version)," \
  "trivy $("$trivy" --version | awk '/^Version/ {print $2}'), hadolint $("$hadolint" --version | awk '{print $NF}')"

# Trivy offline: no check-bundle download (the embedded checks are used), its own empty cache.
export TRIVY_CACHE_DIR="$work/trivy-cache" TRIVY_DISABLE_VEX_NOTICE=1
# Dockerfile list for hadolint, relative to the corpus (the command runs there).
dockerfiles=$(cd "$corpus" && find docker -name Dockerfile | sort | tr '\n' ' ')

q() { printf '%q' "$1"; }
osprey_all="$(q "$osprey") config $(q "$corpus") --pss-level restricted --format json"
osprey_df="$(q "$osprey") config $(q "$corpus/docker") --pss-level restricted --format json"
checkov_cmd="$(q "$checkov") -d $(q "$corpus") --framework kubernetes dockerfile --compact --quiet -o json --soft-fail --skip-download"
trivy_cmd="$(q "$trivy") config --format json --quiet --skip-check-update --misconfig-scanners dockerfile,kubernetes $(q "$corpus")"
hadolint_cmd="cd $(q "$corpus") && $(q "$hadolint") --no-fail -f json $dockerfiles"

# Findings first; these runs also warm the page cache for the timed runs.
sh -c "$osprey_all --include-passed" >"$work/osprey.json"
# Baseline level too, for the references of the baseline checks restricted ones supersede.
"$osprey" config "$corpus" --pss-level baseline --format json --include-passed >"$work/osprey-baseline.json"
sh -c "$checkov_cmd" >"$work/checkov.json" 2>"$work/checkov.err"
sh -c "$trivy_cmd" >"$work/trivy.json" 2>"$work/trivy.err"
sh -c "$hadolint_cmd" >"$work/hadolint.json"
python3 "$here/bench/lib/config_findings.py" --root "$corpus" --osprey "$work/osprey.json" \
  --osprey-refs "$work/osprey-baseline.json" --checkov "$work/checkov.json" --trivy "$work/trivy.json" --hadolint "$work/hadolint.json" \
  --diffs "$work/diffs.tsv"

echo "timing: $runs alternating runs each, peers' start-up included; targets <= 0.02x checkov, <= 0.2x trivy, <= 1x hadolint"
compare=(python3 "$here/bench/lib/compare.py" --warmup 0 --runs "$runs" --a-name osprey)
"${compare[@]}" --label "corpus vs checkov" --a "$osprey_all" --b-name checkov --b "$checkov_cmd"
"${compare[@]}" --label "corpus vs trivy" --a "$osprey_all" --b-name trivy --b "$trivy_cmd"
"${compare[@]}" --label "Dockerfiles vs hadolint" --a "$osprey_df" --b-name hadolint --b "$hadolint_cmd"
