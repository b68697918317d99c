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
