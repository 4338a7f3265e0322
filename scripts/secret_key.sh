#!/bin/sh
# Print the demo's secret key, kept in FILE (default instance/secret_key) and made there on the
# first run, readable by its owner only. A real deployment sets SECRET_KEY itself, the same on
# every machine (docs/deploy.md).
set -eu
cd "$(dirname "$0")/.."
file="${1:-instance/secret_key}"
if ! [ -s "$file" ]; then
    mkdir -p "$(dirname "$file")"
    # written aside and moved into place: two runs at once never leave a half-written key
    draft="$file.$$"
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$draft")
    mv "$draft" "$file"
fi
cat "$file"
