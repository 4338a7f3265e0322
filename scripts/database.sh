# Sourced by backup.sh and restore.sh: which database DATABASE_URL names, as the tools want it.
# Sets kind (postgresql or sqlite), url (a libpq URL) or path (a SQLite file), and python.
url=${DATABASE_URL:-sqlite:///$root/instance/xiaofang.db}
python="$root/.venv/bin/python"
[ -x "$python" ] || python=python3
case "$url" in
postgres://* | postgresql://* | postgresql+*://*)
    kind=postgresql
    # libpq knows no SQLAlchemy driver names (postgresql+psycopg://)
    url="postgresql://${url#*://}"
    ;;
sqlite:///*)
    kind=sqlite
    path=${url#sqlite:///}
    ;;
*)
    echo "DATABASE_URL must name a PostgreSQL or SQLite database" >&2
    exit 2
    ;;
esac
