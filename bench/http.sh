#!/usr/bin/env bash
# What the TARS layer of an HTTP servant costs: `GET /hello/{name}` on the http_server
# example's HttpObj (admission, span, scope, stat) next to the same axum router served by
# `axum::serve` alone (`http_server --plain-axum`), in one run:
#
#   bash bench/http.sh [SECONDS]
#
# Each server is pinned to CPU 0 and the loader (examples/load --http: keep-alive HTTP/1.1
# connections, one request in flight on each, as wrk and oha do) to CPU 1; 1 connection,
# then 16. The "stat on" row reports every request as under tarsnode (bench/http-stat.conf).
# EXAMPLES=DIR measures another build's binaries (see bench/common.sh).
set -euo pipefail

SECS="${1:-8}"

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ -z "${EXAMPLES:-}" ]; then
    cargo build --release --example http_server >&2
fi

PORT_HTTP=10017
PORT_PLAIN=10018

http_load() { # port connections
    taskset -c 1 "$EX/load" --http /hello/world --addr "127.0.0.1:$1" -k "$2" -d "$SECS" | result
}

for k in 1 16; do
    g="GET /hello/{name}, $k conn"
    wait_idle
    start_server "$PORT_PLAIN" "$EX/http_server" --plain-axum "127.0.0.1:$PORT_PLAIN"
    row "$g" "axum::serve" "$(http_load "$PORT_PLAIN" "$k")"
    stop_server
    wait_idle
    start_server "$PORT_HTTP" "$EX/http_server"
    row "$g" "tars-rs http_servant" "$(http_load "$PORT_HTTP" "$k")"
    stop_server
    wait_idle
    start_server "$PORT_HTTP" "$EX/http_server" --config="$ROOT/bench/http-stat.conf"
    row "$g" "tars-rs http_servant, stat on" "$(http_load "$PORT_HTTP" "$k")"
    stop_server
done

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs; server on CPU 0, load on CPU 1, ${SECS} s per case"
echo
print_table ratios
