#!/bin/sh
# Install Debian's chromium for the browser tests (tests/browser), if it is not there yet.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs apt-get and root (or sudo).
# Playwright drives this browser through `executable_path`; no Playwright browser download.
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser.sh: apt-get not found; install Debian's 'chromium' package by hand." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_browser.sh: need root (or sudo) to apt-get install chromium." >&2
        exit 1
    fi
fi

echo "install_browser.sh: installing Debian chromium (one time)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null

if [ ! -x "$CHROMIUM" ]; then
    echo "install_browser.sh: apt-get finished but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "install_browser.sh: $($CHROMIUM --version 2>/dev/null || echo chromium) installed." >&2
