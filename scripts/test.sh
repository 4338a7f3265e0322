#!/bin/sh
# One command from a fresh clone to the whole test suite (SQLite; PostgreSQL too when
# TEST_DATABASE_URL is set). Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install.sh requirements-dev.lock
if ! [ -x /usr/bin/chromium ]; then
    # the browser tests drive Debian's Chromium; Playwright's own download cannot be used
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
    else
        echo "Chromium is missing: run 'sudo apt-get install chromium fonts-wqy-microhei' first" >&2
    fi
fi
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
