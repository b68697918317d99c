#!/usr/bin/env bash
# Counts the system calls tars-rs makes per request served and per call made, with perf's
# syscall tracepoints (low overhead, so the batching under load is the real one):
#
#   bash bench/syscalls.sh [SECONDS]
#
# Server: hello_server (CPU 0) under 1 connection, 64 in flight, 128 B, from limit-loader
# (or examples/load when ../shared/bench/limit is absent) on CPU 1. Client: load --client
# (CPU 1), 64 callers on one connection, against limit-server (or hello_server) on CPU 0.
# Needs perf with access to tracepoints (root, or kernel.perf_event_paranoid <= -1).
# Heap allocations per request and per call are counted by tests/allocations/per_call.rs.
set -euo pipefail

SECS="${1:-5}"
EVENTS="raw_syscalls:sys_enter,syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_read,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex"

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# Prints "event count" lines from perf stat's CSV output in $1.
counts() {
    awk -F, '$1 ~ /^[0-9]+$/ { sub(/.*:sys_enter_?/, "", $3); print ($3 == "" ? "all" : $3), $1 }' "$1"
}

per() { # file total
    counts "$1" | awk -v n="$2" '{ printf "  %-12s %10d  %6.3f per request/call\n", $1, $2, $2 / n }'
}

qps_total() { # RESULT line -> total requests
    grep '^RESULT' | tail -1 | sed -E 's/.*qps=([0-9.]+).*/\1/' | awk -v s="$SECS" '{ printf "%d", $1 * s }'
}

echo "server: hello_server, 1 connection, 64 in flight, 128 B"
taskset -c 0 "$EX/hello_server" >/dev/null 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
wait_port "$PORT_RS"
STAT=$(mktemp)
perf stat -x, -e "$EVENTS" -p "$SERVER" -o "$STAT" -- sleep "$SECS" &
PERF=$!
if [ -n "$LIMIT" ]; then
    total=$(taskset -c 1 "$LIMIT/limit-loader" --port "$PORT_RS" --conns 1 --inflight 64 --payload 128 --duration "$SECS" | qps_total)
else
    total=$(taskset -c 1 "$EX/load" --addr "127.0.0.1:$PORT_RS" -c 64 -k 1 -b 128 -d "$SECS" | qps_total)
fi
wait "$PERF"
echo "  requests     $total"
per "$STAT" "$total"
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true

echo "client: load --client, 64 callers on 1 connection, 128 B"
if [ -n "$LIMIT" ]; then
    taskset -c 0 "$LIMIT/limit-server" --port "$PORT_REF" >/dev/null 2>&1 &
    PORT="$PORT_REF"
else
    taskset -c 0 "$EX/hello_server" >/dev/null 2>&1 &
    PORT="$PORT_RS"
fi
PIDS+=("$!")
wait_port "$PORT"
OUT=$(mktemp)
perf stat -x, -e "$EVENTS" -o "$STAT" -- taskset -c 1 "$EX/load" --client --addr "127.0.0.1:$PORT" -c 64 -k 1 -b 128 -d "$SECS" > "$OUT"
total=$(qps_total < "$OUT")
echo "  calls        $total"
per "$STAT" "$total"
rm -f "$STAT" "$OUT"
