#!/usr/bin/env bash
# `make run`: starts gatewayd on 127.0.0.1:8080 with config/gateway.ini, an SQLite database
# under var/, the demo area tree and resident list, and file providers that write every
# message to var/sent-*.jsonl, so nothing leaves the machine. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release
conf=config/gateway.ini
mkdir -p var

"$bin/gatewayd" --check-config "$conf" >/dev/null
"$bin/gatewayd" --config "$conf" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
trap 'exit 0' INT TERM

# Wait until the daemon answers (bash's /dev/tcp: no curl needed).
for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "gatewayd did not start (see above)" >&2; exit 1; }
  sleep 0.1
done

if [ ! -s var/demo-dispatcher.key ]; then
  ( umask 077; "$bin/gatewayctl" key create --role dispatcher --name demo --config "$conf" \
      > var/demo-dispatcher.key )
fi
export GATEWAY_KEY
GATEWAY_KEY=$(cat var/demo-dispatcher.key)
"$bin/gatewayctl" areas import config/demo-areas.csv
"$bin/gatewayctl" residents import config/demo-residents.csv

cat <<EOT

gatewayd is running on http://127.0.0.1:8080 (database var/gateway.db).
A dispatcher key is in var/demo-dispatcher.key. In another terminal:

  export GATEWAY_KEY=\$(cat var/demo-dispatcher.key)
  $bin/gatewayctl notice send --kind emergency --utility water \\
      --area 3301020010103 --area 3301020010104 --area 3301020010105 \\
      --start "\$(TZ=Asia/Shanghai date -d '-10 min' '+%Y-%m-%d %H:%M')" --end "\$(TZ=Asia/Shanghai date -d '+4 hours' '+%Y-%m-%d %H:%M')" \\
      --reason 主管道爆裂抢修 --hotline 0571-87654321

  # a hotline case: routed to the pipe network, the caller gets a tracking link
  $bin/gatewayctl case create --kind repair --category leak --source phone --name 张三 \
      --mobile 13812345678 --area 3301020010103 --content 楼道水管漏水 --accept --dispatch

Messages land in var/sent-sms.jsonl and var/sent-wechat.jsonl (planned notices wait
outside 08:00-21:00 local time). Ctrl-C stops the daemon.
EOT
wait "$pid"
