#!/usr/bin/env bash
# Measures tars-rs's server and client against the physical limit of a TARS echo on this
# machine, in one run, as ratios:
#
#   bash bench/compare.sh [SECONDS]
#
# It builds in release, waits for an idle machine, pins every server to CPU 0 and every load
# generator to CPU 1, and prints one table of QPS and latency percentiles. With
# ../shared/bench/limit beside the repository, the reference is limit-server/limit-loader
# (a lean echo with no framework); without it, tars-rs is measured with examples/load alone.
#
# Cases (testHello echo):
#   server, 1 connection, 64 in flight, 128 B       (limit-server vs hello_server, and
#                                                    hello_server with stat and property on)
#   server, 16 connections, 256 in flight, 1 KiB    (limit-server vs hello_server)
#   client, 64 callers on 1 connection, 128 B        (limit-loader vs load --client, to limit-server,
#                                                    and load --client with stat on)
#
# EXAMPLES=DIR measures the hello_server and load of another build (see bench/common.sh).
set -euo pipefail

SECS="${1:-8}"
# Nothing listens on port 1: reports are recorded, then fail to send (the recording is the cost).
STAT_OBJ="tars.tarsstat.StatObj@tcp -h 127.0.0.1 -p 1 -t 3000"

if [ "$(nproc)" -lt 2 ]; then
    echo "needs 2 CPUs (server on CPU 0, load on CPU 1)" >&2
    exit 1
fi

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Loads the server on $1 with conns $2, in flight $3, payload $4.
server_load() {
    if [ -n "$LIMIT" ]; then
        taskset -c 1 "$LIMIT/limit-loader" --port "$1" --conns "$2" --inflight "$3" --payload "$4" --duration "$SECS" | result
    else
        # examples/load: C callers spread over K raw connections.
        taskset -c 1 "$EX/load" --addr "127.0.0.1:$1" -c "$3" -k "$2" -b "$4" -d "$SECS" | result
    fi
}

measure_server() { # group conns inflight payload
    local g="$1" k="$2" m="$3" b="$4"
    if [ -n "$LIMIT" ]; then
        wait_idle
        start_server "$PORT_REF" "$LIMIT/limit-server" --port "$PORT_REF"
        row "$g" "limit-server" "$(server_load "$PORT_REF" "$k" "$m" "$b")"
        stop_server
    fi
    wait_idle
    start_server "$PORT_RS" "$EX/hello_server"
    row "$g" "tars-rs hello_server" "$(server_load "$PORT_RS" "$k" "$m" "$b")"
    stop_server
}

measure_server "server 1 conn, 64 in flight, 128 B" 1 64 128
wait_idle
start_server "$PORT_RS" "$EX/hello_server" --config="$ROOT/bench/stat.conf"
row "server 1 conn, 64 in flight, 128 B" "tars-rs hello_server, stat+property on" "$(server_load "$PORT_RS" 1 64 128)"
stop_server
measure_server "server 16 conns, 256 in flight, 1 KiB" 16 256 1024


G="client, 64 callers on 1 conn, 128 B"
if [ -n "$LIMIT" ]; then
    wait_idle
    start_server "$PORT_REF" "$LIMIT/limit-server" --port "$PORT_REF"
    row "$G" "limit-loader" "$(taskset -c 1 "$LIMIT/limit-loader" --port "$PORT_REF" --conns 1 --inflight 64 --payload 128 --duration "$SECS" | result)"
    row "$G" "tars-rs load --client" "$(taskset -c 1 "$EX/load" --client --addr "127.0.0.1:$PORT_REF" -c 64 -k 1 -b 128 -d "$SECS" | result)"
    row "$G" "tars-rs load --client, stat on" "$(taskset -c 1 "$EX/load" --client --stat "$STAT_OBJ" --addr "127.0.0.1:$PORT_REF" -c 64 -k 1 -b 128 -d "$SECS" | result)"
    stop_server
else
    wait_idle
    start_server "$PORT_RS" "$EX/hello_server"
    row "$G" "tars-rs load --client" "$(taskset -c 1 "$EX/load" --client --addr "127.0.0.1:$PORT_RS" -c 64 -k 1 -b 128 -d "$SECS" | result)"
    row "$G" "tars-rs load --client, stat on" "$(taskset -c 1 "$EX/load" --client --stat "$STAT_OBJ" --addr "127.0.0.1:$PORT_RS" -c 64 -k 1 -b 128 -d "$SECS" | result)"
    stop_server
fi

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs; server on CPU 0, load on CPU 1, ${SECS} s per case"
if [ -z "$LIMIT" ]; then
    echo
    echo "No reference ($LIMIT_SRC is absent): tars-rs alone, the server cases loaded by examples/load's raw mode."
fi
echo
print_table "$([ -n "$LIMIT" ] && echo ratios)"
