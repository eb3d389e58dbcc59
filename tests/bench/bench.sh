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
python3 tests/bench/bench.py "$@"
python3 tests/bench/bench_channels.py "$@"
exec python3 tests/bench/bench_tracking.py "$@"
