#!/usr/bin/env bash
# Instructions per request (server) and per call (client), counted by valgrind's callgrind:
# a count, not a time, so it repeats whatever else the machine is doing (use it to compare two
# builds when timings are noisy).
#
#   bash bench/instructions.sh [--http | --pb | --protocols | --trace] [SECONDS]
#
# The server case runs hello_server under callgrind and loads it natively (examples/load, raw
# sockets, 1 connection, 64 in flight, 128 B); the client case runs load --client under
# callgrind against a native server (limit-server when ../shared/bench/limit is there, else
# hello_server). Each case runs twice, for SECONDS and for 2×SECONDS, and reports the
# difference in instructions over the difference in requests: start-up and shutdown cancel
# out. EXAMPLES=DIR measures another build's binaries (see bench/common.sh).
#
# With --http, the HTTP servant instead: `GET /hello/{name}` on http_server's HttpObj, plain
# (`--plain-axum`), through the TARS layer, and with stat and properties on, loaded by
# `load --http` over 16 keep-alive connections.
#
# With --pb, a protobuf servant instead: `SayHello` on pb_server next to `testHello` on
# hello_server, the same 128-byte string, raw load over 1 connection with 64 in flight.
#
# With --protocols, the client case once per protocol its calls can speak (load --client
# --protocol tars, tup, tup2, json) against a native hello_server, which answers them all.
#
# With --trace, what a trace costs: the server case untraced and with requests in a W3C,
# TARS, B3 and sw8 trace (load --trace); the client case untraced and with calls continuing
# a trace in each format; and a server writing a log line per request (--log-requests) in a
# W3C trace, with and without trace ids in its lines (bench/logs-traceid-{Y,N}.conf).
set -euo pipefail

HTTP=""
PB=""
PROTOCOLS=""
TRACE=""
case "${1:-}" in
    --trace) TRACE=1; shift ;;
    --http) HTTP=1; shift ;;
    --pb) PB=1; shift ;;
    --protocols) PROTOCOLS=1; shift ;;
esac
SECS="${1:-4}"

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 1; }
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"; pkill -P $$ 2>/dev/null || true' EXIT

# The instructions callgrind counted in file $1.
total_ir() {
    awk '/^summary:/ { print $2 }' "$1"
}

# The requests a load run made: qps × seconds, from its RESULT line on stdin.
requests() { # seconds
    sed -n 's/.*qps=\([0-9]*\).*/\1/p' | awk -v s="$1" '{ print $1 * s }'
}

# One run of $1 seconds: the server command $3 (its words) under callgrind, listening on
# port $2, loaded natively by `load` with the other arguments: "instructions requests".
server_run() {
    local secs="$1" port="$2" server="$3" file="$OUT/server.$1"
    shift 3
    # shellcheck disable=SC2086 # the command's words
    valgrind --tool=callgrind --callgrind-out-file="$file" $server >/dev/null 2>&1 &
    local pid=$!
    wait_port "$port"
    local n
    n=$("$EX/load" "$@" --addr "127.0.0.1:$port" -d "$secs" | grep RESULT | requests "$secs")
    kill -TERM "$pid"
    wait "$pid" || true
    echo "$(total_ir "$file") $n"
}

# Client: instructions and calls of one run of $1 seconds against the native server on $2,
# load taking the other arguments too.
client_run() {
    local secs="$1" port="$2" file="$OUT/client.$1"
    shift 2
    local n
    n=$(valgrind --tool=callgrind --callgrind-out-file="$file" "$EX/load" --client --addr "127.0.0.1:$port" -c 64 -k 1 -b 128 -d "$secs" "$@" 2>/dev/null | grep RESULT | requests "$secs")
    echo "$(total_ir "$file") $n"
}

per_unit() { # "ir1 n1" "ir2 n2"
    read -r i1 n1 <<<"$1"
    read -r i2 n2 <<<"$2"
    awk -v i1="$i1" -v n1="$n1" -v i2="$i2" -v n2="$n2" 'BEGIN { printf "%.0f (%d vs %d requests)", (i2 - i1) / (n2 - n1), n1, n2 }'
}

# "LABEL: N instructions per request" for the server command $3 on port $2 loaded with the
# other arguments, from runs of SECS and 2×SECS.
server_case() { # label port server-command load-args...
    local label="$1" port="$2" server="$3"
    shift 3
    echo "$label: $(per_unit "$(server_run "$SECS" "$port" "$server" "$@")" "$(server_run $((2 * SECS)) "$port" "$server" "$@")") instructions per request"
}

if [ -n "$HTTP" ]; then
    if [ -z "${EXAMPLES:-}" ]; then
        cargo build --release --example http_server >&2
    fi
    load=(--http /hello/world -k 16)
    server_case "axum::serve" 10018 "$EX/http_server --plain-axum 127.0.0.1:10018" "${load[@]}"
    server_case "http_servant" 10017 "$EX/http_server" "${load[@]}"
    server_case "http_servant, stat+property on" 10017 "$EX/http_server --config=$ROOT/bench/http-stat.conf" "${load[@]}"
    exit 0
fi

if [ -n "$PB" ]; then
    if [ -z "${EXAMPLES:-}" ]; then
        cargo build --release --example pb_server >&2
    fi
    raw=(-c 64 -k 1 -b 128)
    server_case "TARS testHello (hello_server)" "$PORT_RS" "$EX/hello_server" "${raw[@]}"
    server_case "protobuf SayHello (pb_server)" 10019 "$EX/pb_server" --pb --servant TestApp.PbServer.GreeterObj "${raw[@]}"
    exit 0
fi

if [ -n "$PROTOCOLS" ]; then
    "$EX/hello_server" >/dev/null 2>&1 &
    ref=$!
    wait_port "$PORT_RS"
    for p in tars tup tup2 json; do
        echo "client, $p: $(per_unit "$(client_run "$SECS" "$PORT_RS" --protocol "$p")" "$(client_run $((2 * SECS)) "$PORT_RS" --protocol "$p")") instructions per call"
    done
    kill "$ref"
    exit 0
fi

if [ -n "$TRACE" ]; then
    raw=(-c 64 -k 1 -b 128)
    server_case "server, untraced" "$PORT_RS" "$EX/hello_server" "${raw[@]}"
    for f in w3c tars b3 sw8; do
        server_case "server, $f trace" "$PORT_RS" "$EX/hello_server" "${raw[@]}" --trace "$f"
    done
    for ids in Y N; do
        server_case "server, a log line per request, w3c trace, logtraceid=$ids" "$PORT_RS" \
            "$EX/hello_server --log-requests --config=$ROOT/bench/logs-traceid-$ids.conf" "${raw[@]}" --trace w3c
    done
    rm -rf /tmp/tars-bench-logs
    "$EX/hello_server" >/dev/null 2>&1 &
    ref=$!
    wait_port "$PORT_RS"
    echo "client, untraced: $(per_unit "$(client_run "$SECS" "$PORT_RS")" "$(client_run $((2 * SECS)) "$PORT_RS")") instructions per call"
    for f in w3c tars b3 sw8; do
        echo "client, $f trace: $(per_unit "$(client_run "$SECS" "$PORT_RS" --trace "$f")" "$(client_run $((2 * SECS)) "$PORT_RS" --trace "$f")") instructions per call"
    done
    kill "$ref"
    exit 0
fi

server_case "server" "$PORT_RS" "$EX/hello_server" -c 64 -k 1 -b 128

if [ -n "$LIMIT" ]; then
    "$LIMIT/limit-server" --port "$PORT_REF" >/dev/null 2>&1 &
    port="$PORT_REF"
else
    "$EX/hello_server" >/dev/null 2>&1 &
    port="$PORT_RS"
fi
ref=$!
wait_port "$port"
echo "client: $(per_unit "$(client_run "$SECS" "$port")" "$(client_run $((2 * SECS)) "$port")") instructions per call"
kill "$ref"
