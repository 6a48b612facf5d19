#!/bin/sh
# Install Debian's headless LibreOffice Calc for the lots.xlsx test (tests/unit/test_lots.py
# converts the workbook to PDF with soffice), if it is not there yet.
# Idempotent: does nothing when soffice is on PATH. Needs apt-get and root (or sudo).
set -eu

if command -v soffice >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_office.sh: apt-get not found; install LibreOffice Calc (soffice) by hand." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_office.sh: need root (or sudo) to apt-get install libreoffice-calc-nogui." >&2
        exit 1
    fi
fi

echo "install_office.sh: installing Debian libreoffice-calc-nogui (one time)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libreoffice-calc-nogui >/dev/null

if ! command -v soffice >/dev/null 2>&1; then
    echo "install_office.sh: apt-get finished but soffice is still missing." >&2
    exit 1
fi
echo "install_office.sh: $(soffice --version 2>/dev/null || echo soffice) installed." >&2
