#!/usr/bin/env bash
# make bench: needs nginx as the loopback sink and wrk as the load generator of the tracking
# page (both installed here when root on Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; }
  else
    echo "bench: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2; exit 1
  fi
fi
python3 tests/bench/bench.py "$@"
python3 tests/bench/bench_channels.py "$@"
exec python3 tests/bench/bench_tracking.py "$@"
