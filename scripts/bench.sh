#!/usr/bin/env bash
# Benchmark: generates kube-proxy dumps of 1k, 10k and 50k Services x 10 endpoints in each proxy mode,
# times svcpath's stages (svcpath-stages, best of 3) and `svcpath explain --format json` end to end
# (best of 3, peak memory from /usr/bin/time), and beside them `iptables-restore --test` (iptables
# mode), `nft -c -f` in a private network namespace (nftables mode) and `grep -c` on the same file;
# and the analysis as WebAssembly in headless Chromium (tests/browser/bench-wasm.mjs) on dumps under
# 100 MB when the site is built.
# Prints a Markdown report (the one in docs/benchmarks.md) on stdout.
#
# Environment: SIZES="1000 10000 50000", MODES="iptables ipvs nftables", ENDPOINTS=10, RUNS=3,
# SKIP_KERNEL_TESTS=1 to skip the round-trip tests that need root, WASM=0 to skip the browser,
# BENCH_DIR for the dumps (default: a new directory under ${TMPDIR:-/tmp}, removed at the end),
# BEFORE_BIN=path/to/svcpath of an earlier commit to time beside this one on the same files in the same
# run, LARGE_IPSET=2000000, LARGE_MAP=1000000 and LARGE_CONNTRACK=1000000 for the large inputs (0 leaves one out),
# LARGE_ONLY=1 for only those.
# The 50k iptables dump is about 265 MB.
set -euo pipefail

SIZES=${SIZES:-"1000 10000 50000"}
MODES=${MODES:-"iptables ipvs nftables"}
ENDPOINTS=${ENDPOINTS:-10}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"

log() { echo "bench: $*" >&2; }

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing GNU time (peak memory)"
        apt-get install -y time >/dev/null
    else
        log "/usr/bin/time (GNU time) is needed for peak memory: apt-get install -y time"
        exit 1
    fi
fi

log "building (release)"
(cd "$ROOT" && cargo build --quiet --release -p svcpath-gen -p svcpath-cli)

# The round trips through the kernel: a generated iptables dump restored in a private network namespace
# comes back from iptables-save unchanged, an nftables one loads with nft -f and lists back the same.
KERNEL_TESTS="skipped (SKIP_KERNEL_TESTS)"
if [ "${SKIP_KERNEL_TESTS:-}" != 1 ]; then
    if [ "$(id -u)" = 0 ] && command -v iptables-restore >/dev/null && command -v nft >/dev/null \
        && command -v unshare >/dev/null; then
        log "kernel round-trip tests (cargo test -p svcpath-gen -- --ignored)"
        if (cd "$ROOT" && cargo test --quiet --release -p svcpath-gen --test generated -- --ignored >&2); then
            KERNEL_TESTS="passed"
        else
            KERNEL_TESTS="FAILED"
        fi
    else
        KERNEL_TESTS="skipped (needs root, iptables, nftables and unshare)"
    fi
fi

WORK=${BENCH_DIR:-}
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/svcpath-bench.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
TIMES="$WORK/time.out"

# Runs a command RUNS times under GNU time; prints "best-wall best-cpu max-rss-kb" (seconds, seconds, KB).
# Wall time comes from the shell's microsecond clock (GNU time rounds to 10 ms), CPU time (user +
# system) and peak memory from GNU time. The command's stdin is $INPUT when set; its stdout goes to a
# file, not /dev/null (GNU grep stops at the first match when its output is /dev/null).
measure() {
    local runs=$1
    shift
    local best_wall="" best_cpu="" max_rss=0 i start end
    for ((i = 0; i < runs; i++)); do
        start=$EPOCHREALTIME
        if ! /usr/bin/time -f "%U %S %M" -o "$TIMES" "$@" <"${INPUT:-/dev/null}" >"$WORK/stdout" 2>"$WORK/stderr"; then
            log "failed: $* ($(head -c 300 "$WORK/stderr"))"
            echo "- - -"
            return
        fi
        end=$EPOCHREALTIME
        read -r user sys rss <"$TIMES"
        local wall
        wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
        local cpu
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then best_wall=$wall; fi
        if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then best_cpu=$cpu; fi
        if [ "$rss" -gt "$max_rss" ]; then max_rss=$rss; fi
    done
    echo "$best_wall $best_cpu $max_rss"
}

# The same analysis as WebAssembly in headless Chromium, when the site is built and the browser tests'
# tools are installed (WASM=0 skips it). Dumps over 100 MB are left out.
WASM=${WASM:-1}
if [ "$WASM" = 1 ] && { [ ! -f "$ROOT/dist/index.html" ] || [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ] \
    || ! command -v "${CHROMIUM:-chromium}" >/dev/null; }; then
    log "no built site, playwright-core or chromium: the WebAssembly timings are skipped (make site; make browser installs the rest)"
    WASM=0
fi

# One line of results per mode and size: mode n bytes lines gen split parse model findings report json
# total explain_wall explain_cpu rss tool_wall tool_cpu grep_wall grep_cpu wasm_ms (stage times: wall
# ms; wasm_ms: the page's worker, parse and report, best of $RUNS).
RESULTS="$WORK/results"
: >"$RESULTS"

# Row group: every mode and size, generated, timed and measured beside the tools (one results line each).
bench_modes() {
for mode in $MODES; do
    for n in $SIZES; do
        dump="$WORK/$mode-$n.txt"
        log "$mode $n: generating"
        read -r gen _ _ < <(measure 1 "$BIN/svcpath-gen" --mode "$mode" --services "$n" --endpoints "$ENDPOINTS" -o "$dump")
        bytes=$(stat -c %s "$dump")
        lines=$(wc -l <"$dump")
        log "$mode $n: $((bytes / 1000000)) MB; stages"
        "$BIN/svcpath-stages" "$dump" --runs "$RUNS" >"$WORK/stages"
        stage() { awk -v s="$1" '$1 == s { print $2 }' "$WORK/stages"; }
        grep '^#' "$WORK/stages" | sed "s/^# /bench: $mode $n: /" >&2
        log "$mode $n: svcpath explain"
        read -r e_wall e_cpu e_rss < <(measure "$RUNS" "$BIN/svcpath" explain --format json "$dump")
        case $mode in
            iptables)
                log "$mode $n: iptables-restore --test"
                # iptables-restore grows faster than the input: one run of the largest dumps is enough.
                tool_runs=$RUNS
                if [ "$bytes" -gt 100000000 ]; then tool_runs=1; fi
                read -r t_wall t_cpu _ < <(INPUT="$dump" measure "$tool_runs" timeout 900 iptables-restore --test)
                pattern='-j KUBE-SEP-'
                ;;
            nftables)
                # nft takes minutes on the 10k dump already; the largest are left out.
                t_wall=- t_cpu=-
                if [ "$bytes" -lt 100000000 ]; then
                    log "$mode $n: nft -c -f (private network namespace)"
                    read -r t_wall t_cpu _ < <(measure 1 timeout 600 unshare -n nft -c -f "$dump")
                fi
                pattern='dnat to'
                ;;
            *)
                t_wall=- t_cpu=-
                pattern='^  -> '
                ;;
        esac
        read -r g_wall g_cpu _ < <(measure "$RUNS" grep -c -- "$pattern" "$dump")
        w_ms=-
        if [ "$WASM" = 1 ] && [ "$bytes" -lt 100000000 ]; then
            log "$mode $n: WebAssembly in headless Chromium"
            w_ms=$(cd "$ROOT/tests/browser" && node bench-wasm.mjs --runs "$RUNS" "$dump" | awk '{ print $3 }') || w_ms=-
        fi
        echo "$mode $n $bytes $lines $gen $(stage split) $(stage parse) $(stage model) $(stage findings)" \
            "$(stage report) $(stage json) $(stage total) $e_wall $e_cpu $e_rss $t_wall $t_cpu $g_wall $g_cpu ${w_ms:--}" \
            "$(before_explain "$dump")" >>"$RESULTS"
        rm -f "$dump"
    done
done
}

# The report: the machine and the table of every mode and size.
report_modes() {
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
commit=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
cat <<EOF
Machine: $(nproc) CPUs, $cpu_model, $mem_total RAM, Linux $(uname -r); load average at the end
$(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared). Commit $commit, $(date -u +%Y-%m-%d).
Kernel round-trip tests: $KERNEL_TESTS.

Stage times are the best of $RUNS runs (wall clock, \`std::time::Instant\`, release build) from
\`svcpath-stages\`; \`explain\` is \`svcpath explain --format json FILE >FILE.json\` end to end, best of
$RUNS, wall and CPU (user + system) seconds, peak memory is the largest max RSS of the runs.
The comparison tool is \`iptables-restore --test\` (iptables; one run above 100 MB) or \`nft -c -f\`
(nftables, one run, in a private network namespace; not run above 100 MB);
\`grep -c\` counts one line per endpoint in the same file.

| mode | Services | dump MB | split ms | parse ms | model ms | findings ms | report ms | json ms | explain wall s | explain CPU s | peak MB | peak ÷ input | tool wall s | grep -c s |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
awk '{
    mb = $3 / 1e6; rss = $15 / 1024;
    ratio = ($15 == "-") ? "-" : sprintf("%.1f", $15 * 1024 / $3);
    printf "| %s | %s × %s | %.1f | %s | %s | %s | %s | %s | %s | %.2f | %s | %.0f | %s | %s | %s |\n",
        $1, $2, ENVIRON["ENDPOINTS"] ? ENVIRON["ENDPOINTS"] : 10, mb, $6, $7, $8, $9, $10, $11, $13, $14, rss, ratio, $16, $18
}' ENDPOINTS="$ENDPOINTS" "$RESULTS"
}

# The ratios of the issue's table, read off the results of the same run.
report_ratios() {
echo
echo "Ratios (explain end to end, best of $RUNS; wall clock, CPU time in brackets where both sides have it):"
echo
awk -v sizes="$SIZES" -v order="$MODES" '
    function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "-" : sprintf("%.1f", a / b) }
    { key = $1 " " $2; wall[key] = $13; cpu[key] = $14; rss[key] = $15; bytes[key] = $3;
      tool[key] = $16; toolcpu[key] = $17; grepw[key] = $18; grepc[key] = $19; modes[$1] = 1 }
    END {
        n = split(sizes, s, " ");
        mid = (n >= 2) ? s[2] : s[1];
        nm = split(order, mo, " ");
        for (j = 1; j <= nm; j++) {
            m = mo[j];
            k = m " " mid;
            if (!(k in wall)) continue;
            printf "- %s, %s Services (%.0f MB):", m, mid, bytes[k] / 1e6;
            if (tool[k] != "-") printf " the tool takes %s× (%s×) as long as explain;", ratio(tool[k], wall[k]), ratio(toolcpu[k], cpu[k]);
            printf " explain takes %s× as long as grep -c;", ratio(wall[k], grepw[k]);
            printf " peak memory %s× the input.", ratio(rss[k] * 1024, bytes[k]);
            growth = "";
            for (i = 2; i <= n; i++) {
                a = m " " s[i - 1]; b = m " " s[i];
                if (!(a in cpu) || !(b in cpu)) continue;
                growth = growth sprintf(" %s→%s: input ×%.1f, CPU ×%s;", s[i - 1], s[i], bytes[b] / bytes[a], ratio(cpu[b], cpu[a]));
            }
            printf " Growth:%s\n", growth;
        }
    }' "$RESULTS"
}

# This build's explain beside BEFORE_BIN's, on the same files in the same run.
report_before() {
    awk '$21 != "-" && $21 != "" { found = 1 } END { exit !found }' "$RESULTS" || return 0
    echo
    echo "Before and after (explain --format json, best of $RUNS, same files, same run; before = BEFORE_BIN):"
    echo
    echo "| mode | Services | dump MB | before wall s | after wall s | before CPU s | after CPU s | before peak MB | after peak MB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk '$21 != "-" && $21 != "" {
        printf "| %s | %s | %.1f | %s | %s | %s | %s | %.0f | %.0f |\n", $1, $2, $3 / 1e6, $21, $13, $22, $14, $23 / 1024, $15 / 1024
    }' "$RESULTS"
}

# The analysis as WebAssembly against the same stages natively.
report_wasm() {
awk '$20 != "-" && $20 != "" { found = 1 } END { exit !found }' "$RESULTS" || return 0
echo
echo "In the browser (WebAssembly in headless Chromium, the page's worker; parse and report, best of $RUNS),"
echo "against the same stages natively (svcpath-stages parse + report):"
echo
echo "| mode | Services | dump MB | wasm ms | native ms | wasm ÷ native |"
echo "|---|---:|---:|---:|---:|---:|"
awk '$20 != "-" && $20 != "" {
    native = $7 + $10;
    printf "| %s | %s | %.1f | %.0f | %.0f | %.1f |\n", $1, $2, $3 / 1e6, $20, native, $20 / native
}' "$RESULTS"
}

# Row group: inputs made of one very large set or table: an `ipset list` of LARGE_IPSET
# members, an nft table whose verdict map has LARGE_MAP elements, a conntrack table. svcpath explain's time and peak
# memory, and beside it BEFORE_BIN (an svcpath binary of an earlier commit, when given) on the same file
# in the same run. One results line each: name bytes lines wall cpu rss before_wall before_cpu before_rss.
LARGE_IPSET=${LARGE_IPSET:-2000000}
LARGE_MAP=${LARGE_MAP:-1000000}
# A `conntrack -L` of LARGE_CONNTRACK entries under a 500-Service iptables node (about one in 97 stale).
LARGE_CONNTRACK=${LARGE_CONNTRACK:-1000000}
LARGE_RESULTS="$WORK/large"
: >"$LARGE_RESULTS"
bench_large() {
    local kind count name dump bytes lines
    for kind in ipset nft-map conntrack; do
        case $kind in
            ipset) count=$LARGE_IPSET name="ipset-$((count / 1000000))M" ;;
            nft-map) count=$LARGE_MAP name="nft-map-$((count / 1000000))M" ;;
            *) count=$LARGE_CONNTRACK name="conntrack-$((count / 1000000))M" ;;
        esac
        [ "$count" -gt 0 ] || continue
        dump="$WORK/$name.txt"
        log "$name: generating"
        if [ "$kind" = conntrack ]; then
            "$BIN/svcpath-gen" --mode iptables --services 500 --endpoints 3 --conntrack "$count" -o "$dump"
        else
            "$BIN/svcpath-gen" --large "$kind" --elements "$count" -o "$dump"
        fi
        bytes=$(stat -c %s "$dump")
        lines=$(wc -l <"$dump")
        log "$name: svcpath explain"
        read -r wall cpu rss < <(measure "$RUNS" "$BIN/svcpath" explain --format json "$dump")
        read -r b_wall b_cpu b_rss < <(before_explain "$dump")
        echo "$name $bytes $lines $wall $cpu $rss $b_wall $b_cpu $b_rss" >>"$LARGE_RESULTS"
        rm -f "$dump"
    done
}

# BEFORE_BIN's explain on one file ("- - -" without BEFORE_BIN).
before_explain() {
    if [ -n "${BEFORE_BIN:-}" ] && [ -x "$BEFORE_BIN" ]; then
        log "$(basename "$1"): $BEFORE_BIN explain (before)"
        measure "$RUNS" "$BEFORE_BIN" explain --format json "$1"
    else
        echo "- - -"
    fi
}

report_large() {
    [ -s "$LARGE_RESULTS" ] || return 0
    echo
    echo "Large sets (svcpath explain --format json, best of $RUNS; peak memory the largest max RSS;"
    echo "\"before\": BEFORE_BIN on the same file in the same run):"
    echo
    echo "| input | MB | lines | wall s | CPU s | peak MB | peak ÷ input | before wall s | before CPU s | before peak MB | before peak ÷ input |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk '{
        r = ($6 == "-") ? "-" : sprintf("%.1f", $6 * 1024 / $2);
        br = ($9 == "-") ? "-" : sprintf("%.1f", $9 * 1024 / $2);
        bm = ($9 == "-") ? "-" : sprintf("%.0f", $9 / 1024);
        printf "| %s | %.1f | %d | %s | %s | %.0f | %s | %s | %s | %s | %s |\n",
            $1, $2 / 1e6, $3, $4, $5, $6 / 1024, r, $7, $8, bm, br
    }' "$LARGE_RESULTS"
}

# The issue's targets, each row measured in this run (the rows about the page are filled by the browser
# benchmark when it exists; until then they say so).
report_targets() {
    echo
    echo "Against the targets (this run; \"-\" where this run did not measure it):"
    echo
    echo "| target | measured | met? |"
    echo "|---|---|---|"
    awk -v sizes="$SIZES" -v large="$LARGE_RESULTS" '
        function r(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "-" : a / b }
        function f(x) { return (x == "-") ? "-" : sprintf("%.1f", x) }
        function met(ok, x) { return (x == "-") ? "not measured" : (ok ? "yes" : "no") }
        { key = $1 " " $2; wall[key] = $13; cpu[key] = $14; rss[key] = $15; bytes[key] = $3;
          tool[key] = $16; grepw[key] = $18 }
        END {
            n = split(sizes, s, " "); mid = (n >= 2) ? s[2] : s[1];
            k = "iptables " mid;
            x = r(tool[k], wall[k]);
            printf "| native explain vs iptables-restore --test, %s iptables | %s× faster | %s (≥ 25×) |\n", mid, f(x), met(x >= 25, x);
            x = r(wall[k], grepw[k]);
            printf "| native explain vs grep -c, same file | %s× | %s (≤ 8×) |\n", f(x), met(x <= 8, x);
            worst = "-"; which = "";
            for (key in rss) {
                if (bytes[key] < 1e6 || rss[key] == "-") continue;
                x = rss[key] * 1024 / (2 * bytes[key] + 50e6);
                if (worst == "-" || x > worst) { worst = x; which = key " (" f(rss[key] * 1024 / bytes[key]) "× the input)" }
            }
            while ((getline line < large) > 0) {
                split(line, l, " ");
                if (l[6] == "-") continue;
                x = l[6] * 1024 / (2 * l[2] + 50e6);
                if (worst == "-" || x > worst) { worst = x; which = l[1] " (" f(l[6] * 1024 / l[2]) "× the input)" }
            }
            printf "| peak memory ≤ 2× the input + 50 MB, worst input | %s: %s of the budget | %s |\n", which, (worst == "-") ? "-" : sprintf("%.0f%%", worst * 100), met(worst <= 1, worst);
            for (m = 1; m <= 3; m++) {
                mode = (m == 1) ? "iptables" : (m == 2) ? "ipvs" : "nftables";
                g = "";
                ok = 1;
                for (i = 2; i <= n; i++) {
                    a = mode " " s[i - 1]; b = mode " " s[i];
                    if (!(a in cpu) || !(b in cpu)) continue;
                    x = (cpu[b] / bytes[b]) / (cpu[a] / bytes[a]);
                    g = g sprintf(" %s→%s: CPU per MB ×%.2f;", s[i - 1], s[i], x);
                    if (x > 1.15) ok = 0;
                }
                printf "| growth %s linear within 15 %% |%s | %s |\n", mode, (g == "") ? " -" : g, (g == "") ? "not measured" : (ok ? "yes" : "no");
            }
            base = "iptables " mid;
            for (m = 2; m <= 3; m++) {
                mode = (m == 2) ? "ipvs" : "nftables";
                k = mode " " mid;
                x = (k in cpu && base in cpu) ? (cpu[k] / bytes[k]) / (cpu[base] / bytes[base]) : "-";
                printf "| %s %s per MB within 1.5× of iptables | %s× | %s |\n", mode, mid, f(x), met(x <= 1.5, x);
            }
        }' "$RESULTS"
    report_browser_rows
}

# Rows about the page (wasm vs native, first Services on screen, the complete report, site size):
# measured by tests/browser/bench-page.mjs when it exists.
report_browser_rows() {
    if [ -f "$ROOT/tests/browser/bench-page.mjs" ] && [ "$WASM" = 1 ]; then
        return 0
    fi
    echo "| wasm in Chromium vs native | not measured by this run (tests/browser/bench-page.mjs) | - |"
    echo "| first Services on screen, 10k file | not measured by this run (tests/browser/bench-page.mjs) | - |"
    echo "| complete report in the page vs native | not measured by this run (tests/browser/bench-page.mjs) | - |"
    echo "| the site, gzipped | not measured by this run (scripts/site-size.sh) | - |"
}

# The page as a user meets it (tests/browser/bench-page.mjs on the release build in dist/): the
# 10,000-Service iptables dump opened with "Open files…" and pasted, against `svcpath explain` and the
# native parse + report on the same file in the same run; and the site's size, gzipped, everything the
# page loads. Prints the browser rows of the targets table. PAGE=0 (or WASM=0) skips it.
browser_rows() {
    local n=10000 dump="$WORK/page-iptables-10000.txt" line way bytes first complete worker
    log "page: iptables $n, generating"
    "$BIN/svcpath-gen" --mode iptables --services "$n" --endpoints "$ENDPOINTS" -o "$dump"
    log "page: svcpath explain and svcpath-stages on the same file"
    local e_wall native_ms
    read -r e_wall _ _ < <(measure "$RUNS" "$BIN/svcpath" explain --format json "$dump")
    "$BIN/svcpath-stages" "$dump" --runs "$RUNS" >"$WORK/page-stages"
    native_ms=$(awk '$1 == "parse" { p = $2 } $1 == "report" { r = $2 } END { print p + r }' "$WORK/page-stages")
    log "page: headless Chromium, the release page (best of $RUNS)"
    if ! (cd "$ROOT/tests/browser" && node bench-page.mjs --runs "$RUNS" "$dump") >"$WORK/page.out"; then
        log "page: bench-page.mjs failed"
        rm -f "$dump"
        return
    fi
    rm -f "$dump"
    echo
    echo "The page (release build, headless Chromium, best of $RUNS; the same ${n}-Service iptables dump, same run;"
    echo "native: \`svcpath explain --format json\` $e_wall s, parse + report ${native_ms} ms):"
    echo
    echo "| | measured | target |"
    echo "|---|---|---|"
    while read -r way bytes first complete worker; do
        case $way in
            file | paste)
                awk -v way="$way" -v first="$first" -v complete="$complete" -v worker="$worker" \
                    -v native="$native_ms" -v explain="$e_wall" 'BEGIN {
                    how = (way == "file") ? "opened with Open files…" : "pasted";
                    printf "| wasm in Chromium (the worker, parse + report) vs native, %s | %.0f ms vs %.0f ms = %.2f× | ≤ 1.5× |\n", how, worker, native, worker / native;
                    printf "| first Services on screen, %s | %.2f s | < 0.5 s |\n", how, first / 1000;
                    printf "| complete report, %s | %.2f s = %.2f× native explain | ≤ 1.5× |\n", how, complete / 1000, complete / 1000 / explain;
                }'
                ;;
            named)
                # `named WAY MS`: the Services the paste names listed from the worker's first look.
                [ "$first" != - ] && awk -v way="$bytes" -v ms="$first" 'BEGIN {
                    how = (way == "file") ? "opened with Open files…" : "pasted";
                    printf "| Services named on screen (first look, before the parse), %s | %.2f s | < 0.5 s |\n", how, ms / 1000 }'
                ;;
            site)
                awk -v files="$bytes" -v gz="$first" 'BEGIN {
                    printf "| the site, gzipped, everything it loads (%d files) | %.0f KB | ≤ 350 KB |\n", files, gz / 1024 }'
                ;;
        esac
    done <"$WORK/page.out"
}

if [ "${LARGE_ONLY:-}" != 1 ]; then
    bench_modes
fi
bench_large
if [ "${LARGE_ONLY:-}" != 1 ]; then
    report_modes
    report_ratios
    report_wasm
    report_before
fi
report_large
if [ "${LARGE_ONLY:-}" != 1 ]; then
    report_targets
fi
if [ "${LARGE_ONLY:-}" != 1 ] && [ "$WASM" = 1 ] && [ "${PAGE:-1}" = 1 ]; then
    browser_rows
fi
