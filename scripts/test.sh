#!/usr/bin/env bash
# Runs every test, slow and privileged ones included, after installing what they need.
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/install-test-deps.sh
export PATH="$here/.cache/peers/bin:$PATH"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Slow and privileged tests are #[ignore]d so `cargo test` stays fast; CI runs them too.
cargo test --workspace --locked --no-fail-fast "$@" -- --include-ignored
