#!/usr/bin/env bash
# make fuzz: builds each tests/fuzz/fuzz_*.c with clang's libFuzzer, ASan and UBSan, and runs
# it for FUZZ_SECONDS (default 30) from the seeds in tests/fuzz/corpus/<name>. Needs clang
# and libclang-rt-14-dev (installed here when root on Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-30}
if ! echo 'int LLVMFuzzerTestOneInput(const char*d,unsigned long n){(void)d;(void)n;return 0;}' |
     clang -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang libclang-rt-14-dev
  else
    echo "fuzz: needs clang and libclang-rt-14-dev: apt-get install -y clang libclang-rt-14-dev" >&2
    exit 1
  fi
fi
mkdir -p build/fuzz
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
    "$src" common/{err,csv,charset,phone,utf8,timefmt,mask}.c -o "build/fuzz/$name"
  mkdir -p "tests/fuzz/corpus/$name" "build/fuzz/$name.work"
  echo "== $name ($secs s)"
  "build/fuzz/$name" -max_total_time="$secs" -max_len=4096 "build/fuzz/$name.work" \
    "tests/fuzz/corpus/$name" 2>&1 | tail -n 2
done
echo "fuzz: every target ran $secs s without a finding"
