#!/bin/sh
# Restore a backup made by scripts/backup.sh into the fresh, empty database DATABASE_URL names
# (a new PostgreSQL database, or a SQLite path where no database is yet). Then run
# `flask db upgrade` and start the servers (docs/deploy.md).
set -eu
if [ $# -ne 1 ]; then
    echo "usage: DATABASE_URL=... sh scripts/restore.sh FILE" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/database.sh"
case "$kind" in
postgresql)
    # all or nothing: an error (say, a database that is not empty) leaves the target as it was
    pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$1"
    ;;
sqlite)
    if [ -s "$path" ]; then
        echo "$path already holds a database: move it aside first, the restore writes a new one" >&2
        exit 1
    fi
    "$python" - "$1" "$path" <<'PY'
import sqlite3
import sys

source, target = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
(verdict,) = target.execute("PRAGMA integrity_check").fetchone()
if verdict != "ok":
    sys.exit(f"the restored database is damaged: {verdict}")
PY
    ;;
esac
