#!/bin/sh
# mypy over webapp/ api/ quizzes/ content/ (configured in pyproject.toml). The errors of older
# code listed in mypy-baseline.txt are tolerated; any other error fails, and so does a listed
# error that no longer occurs, so the list is shortened as code is typed and never grows.
set -eu
cd "$(dirname "$0")/.."
found=$(mktemp)
trap 'rm -f "$found"' EXIT
# line numbers move with every edit; an error is known by its file and message
.venv/bin/mypy --no-error-summary --no-pretty 2>&1 | grep ": error:" \
    | sed -E 's/^([^:]+):[0-9]+:([0-9]+:)? /\1: /' | LC_ALL=C sort > "$found" || true
new=$(LC_ALL=C comm -13 mypy-baseline.txt "$found")
gone=$(LC_ALL=C comm -23 mypy-baseline.txt "$found")
if [ -n "$new" ]; then
    printf 'mypy: new errors (fix them; the baseline only shrinks):\n%s\n' "$new" >&2
fi
if [ -n "$gone" ]; then
    printf 'mypy: fixed, now delete these lines from mypy-baseline.txt:\n%s\n' "$gone" >&2
fi
[ -z "$new" ] && [ -z "$gone" ]
