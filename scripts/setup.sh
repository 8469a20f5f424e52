#!/usr/bin/env bash
# Installs what building, serving and testing svcpath need, and skips what is already there (each tool is
# detected by its version). Usage: scripts/setup.sh site   (what `make serve` / `make build` need)
#                                   scripts/setup.sh test   (everything `make test` needs)
# Installs: the wasm32-unknown-unknown Rust target; wasm-bindgen-cli at the version Cargo.lock pins;
# Trunk; wasm-opt and playwright-core from npm (tests/browser/package-lock.json, local to the checkout);
# for tests also Debian's chromium, chromium-driver, iptables, conntrack, iproute2 and nftables.
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-test}"
TRUNK_VERSION="0.21.14"
export PATH="$PWD/tests/browser/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "root is needed for: $*"
  fi
}

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# --- Rust: the wasm32 target -------------------------------------------------------------------------
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (rustup) first"
if command -v rustup >/dev/null 2>&1; then
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
else
  [ -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ] ||
    die "the wasm32-unknown-unknown target is missing and rustup is not there to add it"
fi

# --- wasm-bindgen-cli at exactly the version Cargo.lock pins -----------------------------------------
bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$bindgen_version" ] || die "no wasm-bindgen in Cargo.lock"
grep -q "^wasm_bindgen = \"$bindgen_version\"" Trunk.toml ||
  die "Trunk.toml [tools] wasm_bindgen differs from Cargo.lock's wasm-bindgen $bindgen_version"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have" != "$bindgen_version" ]; then
  say "cargo install --debug wasm-bindgen-cli $bindgen_version (found: ${have:-none}; takes about 3 minutes on 2 cores)"
  # Not --locked: the CLI's own lock file wants a crate release the registry may lack.
  # A debug build takes half the time of a release build (3 min 15 s against 6 min 26 s on 2 cores) and
  # the site it writes is byte-identical (every dist/ file, both .wasm included): the wasm it emits is
  # decided by its code, not by how fast that code runs, and wasm-opt runs after it either way.
  cargo install --debug --force wasm-bindgen-cli --version "$bindgen_version"
fi

# --- Trunk ---------------------------------------------------------------------------------------------
have="$(trunk --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have" != "$TRUNK_VERSION" ]; then
  say "cargo install --debug trunk $TRUNK_VERSION (found: ${have:-none}; takes about 4 minutes on 2 cores)"
  # A debug build of Trunk builds in a third of the time and writes a byte-identical site: Trunk only
  # drives cargo, wasm-bindgen and wasm-opt, whose own builds decide the output.
  cargo install --debug --force --locked "trunk@$TRUNK_VERSION"
fi

# --- Node packages: wasm-opt (binaryen) for the site, playwright-core for the browser tests ------------
if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
lock="tests/browser/package-lock.json"
stamp="tests/browser/node_modules/.svcpath-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  say "npm ci in tests/browser (binaryen's wasm-opt, playwright-core)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi
opt_want="$(awk -F'"' '/^wasm_opt = / { print $2 }' Trunk.toml)"
opt_have="$(wasm-opt --version 2>/dev/null | awk '{print $4}' | tr -d '()' || true)"
[ "$opt_have" = "$opt_want" ] || die "wasm-opt on PATH is ${opt_have:-missing}, Trunk.toml wants $opt_want"

if [ "$what" = "site" ]; then
  say "ready to build the site"
  exit 0
fi

# --- Browser and kernel tools for the tests --------------------------------------------------------------
apt_install chromium chromium-driver iptables conntrack iproute2 nftables
say "ready to test"
