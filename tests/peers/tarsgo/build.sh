#!/usr/bin/env bash
# Build the TarsGo push peers, tarsgo-push-client (push-client/main.go) and
# tarsgo-push-server (push-server/main.go), against the TarsGo reference peer
# GOPATH made by ../shared/peers/tarsgo/build.sh (offline, GO111MODULE=off).
#
#   tests/peers/tarsgo/build.sh
#
# Peer output: $TARSGO_PEER_OUT, default .peers/tarsgo in the folder that holds
# the repository (as ../shared's build.sh computes it). Result:
# $OUT/bin/tarsgo-push-client and $OUT/bin/tarsgo-push-server.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
OUT=${TARSGO_PEER_OUT:-$(dirname "$REPO")/.peers/tarsgo}
GOPATH_DIR="$OUT/gopath"

if [ ! -d "$GOPATH_DIR/src/github.com/TarsCloud/TarsGo/tars/protocol/push" ]; then
    echo "build.sh: no TarsGo peer GOPATH at $GOPATH_DIR" >&2
    echo "  build it first: ../shared/peers/tarsgo/build.sh MIRROR_GIT_DIR   (MIRROR = bare git dir of TarsCloud/TarsGo)" >&2
    echo "  or set TARSGO_PEER_OUT to where it was built" >&2
    exit 1
fi
if ! command -v go >/dev/null 2>&1; then
    echo "build.sh: 'go' not found (build.sh installs Debian golang-go)" >&2
    exit 1
fi

export GO111MODULE=off
export GOFLAGS=
export GOPATH="$GOPATH_DIR:/usr/share/gocode"   # Debian's go.uber.org/automaxprocs
export GOCACHE="$OUT/.gocache"
export GOPROXY=off
export CGO_ENABLED=0

# GOPATH mode builds packages under GOPATH/src: copy our sources next to tarspeer's.
mkdir -p "$OUT/bin"
for peer in push-client push-server; do
    PKG="$GOPATH_DIR/src/tarspeer/$peer"
    mkdir -p "$PKG"
    cp "$HERE/$peer/main.go" "$PKG/main.go"
    go build -o "$OUT/bin/tarsgo-$peer" "tarspeer/$peer"
    echo "built $OUT/bin/tarsgo-$peer (TarsGo $(cat "$OUT/COMMIT" 2>/dev/null || echo '?'))"
done
