#!/usr/bin/env bash
# Runs the unit test binaries and the integration tests, adds up their closing lines
# ("N passed, N failed") and prints the total. Exits non-zero when anything failed or a
# test program crashed. Usage: tests/run.sh [unit|integration] [NAME-FILTER]
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
filter=${2:-}
total_pass=0; total_fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p tests/artifacts

run_one() {
  local name=$1; shift
  local log="tests/artifacts/$name.log"
  "$@" >"$log" 2>&1
  local rc=$?
  local line
  line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  local p=0 f=0
  if [ -n "$line" ]; then
    p=$(sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/' <<<"$line")
    f=$(sed -E 's/^([A-Za-z]+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' <<<"$line")
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  if [ "$f" -ne 0 ]; then
    echo "FAIL $name ($p passed, $f failed, exit $rc) — log: $log"
    tail -n 30 "$log" | sed 's/^/    /'
  else
    echo "ok   $name ($p passed)"
  fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
  for t in build/test/unit/test_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    [ -n "$filter" ] && [[ "$n" != *"$filter"* ]] && continue
    run_one "$n" "$t"
  done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
  for t in tests/integration/test_*.py; do
    [ -f "$t" ] || continue
    n=$(basename "$t" .py)
    [ -n "$filter" ] && [[ "$n" != *"$filter"* ]] && continue
    run_one "integration_$n" python3 "$t"
  done
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
