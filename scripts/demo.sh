#!/bin/sh
# One command from a fresh clone to the demo site on http://127.0.0.1:5000 (SQLite in instance/).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install.sh requirements.lock
export FLASK_APP=wsgi
# the demo keeps its own key; a real deployment sets SECRET_KEY (docs/deploy.md)
SECRET_KEY="${SECRET_KEY:-$(sh scripts/secret_key.sh)}"
export SECRET_KEY
.venv/bin/flask db upgrade
.venv/bin/flask content check
# the first run creates demo accounts and prints their passwords; later runs keep them
.venv/bin/flask seed-demo --attempts "${DEMO_ATTEMPTS:-3000}"
# the rollup applier counts the demo's answers, then keeps counting new ones beside the site
.venv/bin/flask stats apply
.venv/bin/flask stats follow &
applier=$!
trap 'kill "$applier" 2>/dev/null || true' EXIT INT TERM
echo "Serving on http://127.0.0.1:5000 — try http://127.0.0.1:5000/c/DEMO010101 (Ctrl-C stops)"
# gunicorn.conf.py sums the metrics over the workers; the app writes the request lines itself
.venv/bin/gunicorn --config gunicorn.conf.py --workers "${WEB_CONCURRENCY:-2}" --bind 127.0.0.1:5000 wsgi:app
