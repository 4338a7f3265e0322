#!/bin/sh
# Create .venv and install the exact tested versions; compile the UI translations.
# Usage: scripts/install.sh requirements.lock|requirements-dev.lock
set -eu
cd "$(dirname "$0")/.."
lock="${1:-requirements.lock}"
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
    exit 1
}
# the PDF bulletin is laid out by WeasyPrint, which draws text with Pango and needs a Chinese font
if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei >/dev/null
    else
        echo "Pango is missing (PDF bulletins): run 'sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei'" >&2
    fi
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet --require-virtualenv -r "$lock"
.venv/bin/pybabel -q compile -d translations
# gzip and brotli copies of the static files, served by whitenoise to browsers that accept them
.venv/bin/python -m whitenoise.compress -q webapp/static
