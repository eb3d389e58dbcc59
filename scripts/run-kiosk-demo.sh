#!/usr/bin/env bash
# make run-kiosk: the kiosk against the local gatewayd (start it first with `make run`),
# with the PNG display backend (each frame to var/kiosk-frame-N.png), the scripted demo
# session in config/kiosk-demo.script and tickets written to var/tickets.bin.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release
mkdir -p var
if ! curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1; then
  echo "run-kiosk: gatewayd is not answering on 127.0.0.1:8080; start it with make run" >&2
  exit 1
fi
if [ ! -s var/demo-kiosk.key ]; then
  ( umask 077; "$bin/gatewayctl" key create --role kiosk --name hall-1 --config config/gateway.ini \
      > var/demo-kiosk.key )
fi
export KIOSK_API_KEY
KIOSK_API_KEY=$(grep -o 'gwk_[0-9a-f]*' var/demo-kiosk.key | head -1)
sed -e 's|^device = /dev/fb0|device = png:var/kiosk-frame-%d.png|' \
    -e 's|^device = /dev/input/event0|device = script:config/kiosk-demo.script|' \
    -e 's|^device = dev:/dev/usb/lp0|device = file:var/tickets.bin|' \
    config/kiosk.ini > var/kiosk-demo.ini
"$bin/kiosk/kiosk" --config var/kiosk-demo.ini
echo "kiosk: frames in var/kiosk-frame-*.png, the ticket's ESC/POS bytes in var/tickets.bin"
