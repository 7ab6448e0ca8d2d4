#!/bin/sh
# Installs skillrouter's build and test dependencies from Debian 12 packages, only when missing.
# Run as root (or with sudo available). Safe to run again: it does nothing when all is present.
set -eu
PKGS="build-essential pkg-config libyaml-dev libcjson-dev libpcre2-dev libutf8proc-dev zlib1g-dev \
libstemmer-dev libmicrohttpd-dev libcurl4-openssl-dev python3 python3-numpy"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "install-deps: all dependencies present"; exit 0; }
echo "install-deps: installing:$missing"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
