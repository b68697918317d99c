# Shared by the bench scripts (sourced, not run): the paths, the ports, the builds.
#
# EXAMPLES=DIR measures hello_server and load binaries built elsewhere (another commit);
# otherwise they are built in release here. limit-server/limit-loader are built from
# ../shared/bench/limit when it is there ($LIMIT is then their directory, else empty).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIMIT_SRC="$ROOT/../shared/bench/limit"
EX="${EXAMPLES:-$ROOT/target/release/examples}"
PORT_REF=18999
PORT_RS=10015

cd "$ROOT"
if [ -z "${EXAMPLES:-}" ]; then
    cargo build --release --example hello_server --example load >&2
fi
LIMIT=""
if [ -d "$LIMIT_SRC" ]; then
    # The reference may be read-only: build it into our target directory.
    CARGO_TARGET_DIR="$ROOT/target/limit" cargo build --release --manifest-path "$LIMIT_SRC/Cargo.toml" >&2
    LIMIT="$ROOT/target/limit/release"
fi

# Waits (up to 5 s) until something listens on 127.0.0.1:$1; exits the script if nothing does.
wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return
        fi
        sleep 0.05
    done
    echo "nothing listens on port $1" >&2
    exit 1
}

# Waits (up to 2 minutes) until the machine is idle: under 10% busy over one second.
wait_idle() {
    local tries=0 a b c d a2 b2 c2 d2
    while :; do
        read -r _ a b c d _ < /proc/stat
        sleep 1
        read -r _ a2 b2 c2 d2 _ < /proc/stat
        local busy=$(( (a2 - a) + (b2 - b) + (c2 - c) ))
        local total=$(( busy + (d2 - d) ))
        if [ "$total" -gt 0 ] && [ $(( busy * 100 / total )) -lt 10 ]; then
            return
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge 120 ]; then
            echo "warning: the machine did not become idle; measuring anyway" >&2
            return
        fi
    done
}

SERVER_PID=""
start_server() { # port command...
    local port="$1"
    shift
    taskset -c 0 "$@" >/dev/null 2>&1 &
    SERVER_PID=$!
    wait_port "$port"
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT

# Prints "qps p50 p99 p999" from a RESULT line.
result() {
    grep '^RESULT' | tail -1 | sed -E 's/.*qps=([0-9.]+) p50_us=([0-9.]+) p99_us=([0-9.]+) p999_us=([0-9.]+).*/\1 \2 \3 \4/'
}

ROWS=()
row() { # group label "qps p50 p99 p999"
    ROWS+=("$1|$2|$3")
}

# Prints the rows as a markdown table; with $1 = "ratios", each row's QPS also as a share of
# its group's first row (the reference).
print_table() {
    local with_ratios="${1:-}" ref="" group="" g label fig qps p50 p99 p999 ratio
    echo "| case | implementation | QPS | vs reference | p50 µs | p99 µs | p999 µs |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for r in "${ROWS[@]}"; do
        IFS='|' read -r g label fig <<< "$r"
        read -r qps p50 p99 p999 <<< "$fig"
        if [ "$g" != "$group" ]; then
            group="$g"
            ref="$qps"
        fi
        if [ "$with_ratios" = ratios ]; then
            ratio=$(awk -v a="$qps" -v b="$ref" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "-" }')
        else
            ratio="-"
        fi
        printf "| %s | %s | %.0f | %s | %s | %s | %s |\n" "$g" "$label" "$qps" "$ratio" "$p50" "$p99" "$p999"
    done
}
