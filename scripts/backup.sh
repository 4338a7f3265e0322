#!/bin/sh
# Back up the database DATABASE_URL names (default: the SQLite file in instance/) into FILE while
# the site keeps serving: pg_dump's custom format for PostgreSQL, SQLite's online backup for
# SQLite. Both are consistent snapshots. scripts/restore.sh puts one back (docs/deploy.md).
set -eu
if [ $# -ne 1 ]; then
    echo "usage: DATABASE_URL=... sh scripts/backup.sh FILE" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/database.sh"
draft="$1.partial"
# written aside and renamed when complete: a cut-short backup never passes for a good one
case "$kind" in
postgresql)
    pg_dump --format=custom --file="$draft" --dbname="$url"
    ;;
sqlite)
    if ! [ -f "$path" ]; then
        echo "no SQLite database at $path" >&2
        exit 1
    fi
    rm -f "$draft"
    "$python" - "$path" "$draft" <<'PY'
import sqlite3
import sys

source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
PY
    ;;
esac
mv "$draft" "$1"
