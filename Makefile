# svcpath: `make serve` builds the web page (optimised, as users get it) and serves it on
# http://127.0.0.1:8080 with a sample node explained; `make dev` serves a debug build that Trunk rebuilds
# on every change; `make test` runs every test. Both install what is missing first (scripts/setup.sh).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PATH := $(CURDIR)/tests/browser/node_modules/.bin:$(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true
export TRUNK_NO_COLOR := true

# Where the site is hosted; `./` makes dist/ work at the root and under any sub-path.
PUBLIC_URL ?= ./

.PHONY: help setup setup-site serve dev build check test fmt clippy unit unit-fast doc site browser conformance clean

help:
	@echo "make serve   release build of the page, served on http://127.0.0.1:8080 (installs what is missing)"
	@echo "make dev     debug build served on http://127.0.0.1:8080, rebuilt on every change (for developers)"
	@echo "make build   release build of the page into dist/"
	@echo "make check   the fast lane: format, clippy (host, wasm32), unit tests of every crate"
	@echo "make test    format, clippy (host, wasm32), docs, unit and golden tests, release build, browser tests,"
	@echo "             kernel conformance (needs root)"

setup:
	bash scripts/setup.sh test

setup-site:
	bash scripts/setup.sh site

# What a user runs: the optimised build (the one `make bench` measures), served with Trunk.
serve: setup-site
	trunk serve --release --offline --address 127.0.0.1 --port 8080

# For developers: Trunk's debug build, rebuilt on every change; several times slower on large dumps.
dev: setup-site
	trunk serve --offline --address 127.0.0.1 --port 8080

build: setup-site
	trunk build --release --offline --public-url "$(PUBLIC_URL)"

# The fast lane, for before a commit: no site build, no browser, no kernel. Clippy's wasm32 half needs
# the wasm32-unknown-unknown target (`make setup` adds it).
check:
	$(MAKE) --no-print-directory fmt clippy unit-fast

test: setup
	$(MAKE) --no-print-directory fmt clippy doc unit site browser conformance

fmt:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p svcpath-web --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test --workspace

# Unit tests only (each crate's library and binaries), not the integration and golden tests.
unit-fast:
	cargo test --workspace --lib --bins

# The API docs build without a warning (broken intra-doc links, bad code blocks).
doc:
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

site:
	@start=$$(date +%s); \
	trunk build --release --offline --public-url "$(PUBLIC_URL)"; \
	echo "site: built in $$(( $$(date +%s) - start )) s"; \
	bash scripts/site-size.sh dist

browser:
	cd tests/browser && node --test --test-concurrency=1 test/

conformance:
	bash scripts/conformance.sh

clean:
	rm -rf dist tests/browser/artifacts

.PHONY: fuzz bench
# Runs every fuzz target in turn (cargo +nightly fuzz); FUZZ_ARGS="-t 1200 iptables" picks time and targets.
fuzz:
	bash scripts/fuzz.sh $(FUZZ_ARGS)
# Generates 1k/10k/50k-Service dumps in each proxy mode and times svcpath on them (docs/benchmarks.md).
bench:
	bash scripts/bench.sh
