#!/usr/bin/env bash
# Kernel conformance: checks svcpath's packet traces against the Linux kernel.
#
# Builds the CLI and the conformance test, then runs the test
# (crates/analysis/tests/kernel_conformance.rs, ignored in a plain `cargo test`): for every case in
# tests/conformance/cases.json it derives probes from svcpath's traces and has the kernel oracle
# (../shared/oracle/kernel-oracle) load the dump into real netfilter and open real connections.
# Prints a per-probe table and `N passed, N failed`; exits non-zero on any disagreement.
#
# Needs root and the oracle's tools: iptables, conntrack, iproute2, nftables.
# Environment: SVCPATH_ORACLE (path of the oracle), SVCPATH_CONFORMANCE_ONLY (run cases whose name
# contains this text).
set -euo pipefail

cd "$(dirname "$0")/.."
start=$(date +%s)

if [ "$(id -u)" -ne 0 ]; then
  echo "conformance: needs root (the oracle creates network namespaces)" >&2
  exit 2
fi
oracle="${SVCPATH_ORACLE:-../shared/oracle/kernel-oracle}"
if [ ! -x "$oracle" ]; then
  echo "conformance: kernel oracle not found at $oracle (set SVCPATH_ORACLE)" >&2
  exit 2
fi
for tool in ip iptables-nft-restore conntrack nft; do
  if ! command -v "$tool" >/dev/null; then
    echo "conformance: $tool is missing (apt-get install -y iptables conntrack nftables iproute2)" >&2
    exit 2
  fi
done
export SVCPATH_ORACLE="$(cd "$(dirname "$oracle")" && pwd)/$(basename "$oracle")"

cargo build --quiet -p svcpath-cli
cargo test --quiet -p svcpath-analysis --test kernel_conformance --no-run
status=0
cargo test --quiet -p svcpath-analysis --test kernel_conformance -- --ignored --nocapture --test-threads 1 || status=$?
# A stale UDP conntrack entry made by the kernel, and svcpath's join of it (its own namespaces).
cargo test --quiet -p svcpath-analysis --test kernel_stale_conntrack -- --ignored --nocapture || status=$?

echo "conformance: $(( $(date +%s) - start )) s"
exit $status
