#!/bin/sh
# Install the Debian packages the test suite drives, if they are not there yet:
# chromium for the browser tests (tests/browser; Playwright drives it through
# `executable_path`, no Playwright browser download) and headless LibreOffice Calc
# (soffice) for the lots.xlsx test (tests/unit/test_lots.py), and wrk for the load test
# (tests/api/test_load_wrk.py, slow).
# Idempotent: does nothing when all are there. Needs apt-get and root (or sudo).
set -eu

MISSING=""
[ -x /usr/bin/chromium ] || MISSING="$MISSING chromium"
command -v soffice >/dev/null 2>&1 || MISSING="$MISSING libreoffice-calc-nogui"
command -v wrk >/dev/null 2>&1 || MISSING="$MISSING wrk"

if [ -z "$MISSING" ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser.sh: apt-get not found; install Debian's$MISSING by hand." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_browser.sh: need root (or sudo) to apt-get install$MISSING." >&2
        exit 1
    fi
fi

echo "install_browser.sh: installing Debian$MISSING (one time)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086  # one word per package
$SUDO apt-get install -y -qq $MISSING >/dev/null

if [ ! -x /usr/bin/chromium ] || ! command -v soffice >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1; then
    echo "install_browser.sh: apt-get finished but chromium, soffice or wrk is still missing." >&2
    exit 1
fi
echo "install_browser.sh: $(/usr/bin/chromium --version 2>/dev/null || echo chromium), $(soffice --version 2>/dev/null || echo soffice) installed." >&2
