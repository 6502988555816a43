#!/bin/sh
# Runs every fuzz target (or the ones named) for SECONDS each (default 30),
# on the stable toolchain: libFuzzer's coverage instrumentation without a
# sanitizer. Exits 1 when any target found a crash, a panic, a timeout (one
# input over 10 s) or an out-of-memory (over 2 GiB), after printing that
# target's log; libFuzzer saves the input under fuzz/artifacts/<target>/
# (replay it with `cargo fuzz run --sanitizer none <target> <file>`).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Installs cargo-fuzz from crates.io if it is missing. The corpus of each
# target is fuzz/corpus/<target>/: the committed seeds (seed-*) and whatever
# earlier runs found (not committed).
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-30}
[ $# -gt 0 ] && shift
case $seconds in
'' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2
    exit 2
    ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if [ $# -gt 0 ]; then
    targets=$*
else
    targets=$(cargo fuzz list)
fi

start=$(date +%s)
cargo fuzz build --sanitizer none
built=$(date +%s)
echo "fuzz build: $((built - start)) s"

failed=""
for t in $targets; do
    log=fuzz/target/fuzz-$t.log
    t0=$(date +%s)
    if cargo fuzz run --sanitizer none "$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 |
            sed -E 's/^#([0-9]+)[[:space:]]+DONE[[:space:]]+(cov: [0-9]+).*/\1 runs, \2/')
        echo "fuzz $t: clean for $(($(date +%s) - t0)) s ($stats)"
    else
        echo "fuzz $t: FAILED after $(($(date +%s) - t0)) s; its log:"
        grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$log" | tail -60
        failed="$failed $t"
    fi
done

echo "fuzzing took $(($(date +%s) - start)) s in all"
if [ -n "$failed" ]; then
    echo "fuzz targets that failed:$failed"
    exit 1
fi
