#!/usr/bin/env bash
# Checks the build and test dependencies; as root on Debian, installs what is missing with
# apt-get, otherwise prints the exact apt-get line and fails. Called by `make deps`.
set -u
pc_pkgs=(libcurl:libcurl4-openssl-dev libmicrohttpd:libmicrohttpd-dev jansson:libjansson-dev
         inih:libinih-dev sqlite3:libsqlite3-dev libqrencode:libqrencode-dev libpng:libpng-dev
         freetype2:libfreetype-dev
         expat:libexpat1-dev)
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
for entry in "${pc_pkgs[@]}"; do
  mod=${entry%%:*}; deb=${entry##*:}
  pkg-config --exists "$mod" 2>/dev/null || missing+=("$deb")
done
# Browser and QR decoder for the tracking page's tests, and a CJK font for its screenshot.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
# The kiosk's fallback font, for rare characters in names.
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
# mbedtls 2.28 (Debian 12) ships no pkg-config file: test for its header instead.
echo '#include <mbedtls/md.h>' | gcc -E -x c - >/dev/null 2>&1 || missing+=(libmbedtls-dev)
# Sanitizer runtimes come with gcc on Debian (libasan8, libubsan1).
echo 'int main(void){return 0;}' | gcc -fsanitize=address,undefined -x c - -o /dev/null \
  >/dev/null 2>&1 || missing+=(libasan8 libubsan1)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
line="apt-get install -y ${missing[*]}"
if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q "${missing[@]}"; then
    apt-get update -q && apt-get install -y -q "${missing[@]}" || {
      echo "deps: apt-get failed; run: $line" >&2; exit 1; }
  fi
  exit 0
fi
echo "deps: missing packages: ${missing[*]}" >&2
echo "deps: run as root: $line" >&2
exit 1
