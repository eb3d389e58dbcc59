#!/usr/bin/env bash
# make bench: needs nginx as the loopback sink (installed here when root on Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v nginx >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light; }
  else
    echo "bench: nginx is missing; run as root: apt-get install -y nginx-light" >&2; exit 1
  fi
fi
# The tracking page's benchmark drives gatewayd with wrk; checked first so that a missing
# wrk stops the run before the long parts, not after them.
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
  else
    echo "bench: wrk is missing; run as root: apt-get install -y wrk" >&2; exit 1
  fi
fi
# The kiosk's timings: a small C program on the release libraries (make build made them).
cc -std=c17 -D_GNU_SOURCE -O2 -Icommon -Ikiosk $(pkg-config --cflags jansson freetype2) \
  tests/bench/bench_kiosk.c build/release/libkiosk.a build/release/libgw.a -o build/bench_kiosk \
  $(pkg-config --libs libcurl jansson inih sqlite3 libqrencode libpng freetype2) \
  -lmbedcrypto -lpthread -lm
./build/bench_kiosk
python3 tests/bench/bench.py "$@"
python3 tests/bench/bench_channels.py "$@"
exec python3 tests/bench/bench_tracking.py "$@"
