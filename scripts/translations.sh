#!/bin/sh
# After changing UI strings: extract them, update both catalogs, compile.
# Then give every new entry of translations/zh_Hans/LC_MESSAGES/messages.po its Chinese text.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot .
.venv/bin/pybabel -q update --no-fuzzy-matching -i translations/messages.pot -d translations
.venv/bin/pybabel -q compile -d translations
