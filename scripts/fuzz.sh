#!/usr/bin/env bash
# Runs svcpath's fuzz targets one after another, each for a given time or number of executions, one
# process at a time (libFuzzer's in-process mode: one job, one worker).
#
# usage: scripts/fuzz.sh [-t SECONDS | -n RUNS] [-l BYTES] [TARGET…]
#   -t SECONDS   time per target (default 60)
#   -n RUNS      executions per target instead of a time
#   -l BYTES     longest input the fuzzer makes (default 8192; the seeds are cut to it)
#   TARGET…      targets to run (default: every target in fuzz/Cargo.toml)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Seeds the corpora
# from the shared corpus first (fuzz/seed.sh). Crashes, timeouts (10 s) and out-of-memory (2 GiB) stop a
# target; its reproducer is left in fuzz/artifacts/TARGET/ and the script exits non-zero at the end.
# A summary line per target (executions, seconds, coverage) is printed and logs go to fuzz/logs/.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/fuzz"
seconds=60
runs=""
max_len=8192
while getopts "t:n:l:h" opt; do
    case "$opt" in
        t) seconds="$OPTARG" ;;
        n) runs="$OPTARG" ;;
        l) max_len="$OPTARG" ;;
        *) sed -n '2,14p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 2
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cd "$fuzz" && cargo +nightly fuzz list)
fi

"$fuzz/seed.sh" >/dev/null 2>&1 || echo "fuzz.sh: no shared corpus to seed from; starting from empty corpora" >&2
mkdir -p "$fuzz/logs"

dict_for() {
    case "$1" in
        iptables | iptables_roundtrip) echo "-dict=$fuzz/dict/iptables.dict" ;;
        split | pipeline) echo "-dict=$fuzz/dict/paste.dict" ;;
        *) [ -f "$fuzz/dict/$1.dict" ] && echo "-dict=$fuzz/dict/$1.dict" ;;
    esac
}

failed=()
for target in "${targets[@]}"; do
    limit="-max_total_time=$seconds"
    [ -n "$runs" ] && limit="-runs=$runs"
    mkdir -p "$fuzz/corpus/$target"
    log="$fuzz/logs/$target.log"
    echo "== $target ($limit)"
    # shellcheck disable=SC2046
    # Safe Rust: no sanitizer (faster); debug assertions on so that integer overflow panics as in tests.
    (cd "$fuzz" && cargo +nightly fuzz run --sanitizer none --debug-assertions --jobs 1 "$target" "corpus/$target" -- \
        "$limit" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(dict_for "$target")) >"$log" 2>&1
    status=$?
    done_line="$(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
    cov_line="$(grep -E '#[0-9]+.*cov: ' "$log" | tail -1 | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/')"
    echo "   ${done_line:-no summary} | ${cov_line:-no coverage line} | exit $status"
    if [ $status -ne 0 ]; then
        failed+=("$target")
        grep -E 'ERROR: libFuzzer|panicked at|Test unit written' "$log" | head -5 | sed 's/^/   /'
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: failures in: ${failed[*]} (see fuzz/logs and fuzz/artifacts)" >&2
    exit 1
fi
