# Sourced by scripts/quickstart and scripts/test: create .venv and install monitor into it,
# with the extras in $EXTRAS (quickstart: none, the runtime only; scripts/test: dev).
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "monitor needs Python >= 3.11 (found: $("$PY" --version 2>&1)); set PYTHON=..." >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
EXTRAS="${EXTRAS:-}"
target="."
[ -n "$EXTRAS" ] && target=".[$EXTRAS]"
stamp=.venv/.installed-$( (cat pyproject.toml; echo "$EXTRAS") | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e "$target"
    touch "$stamp"
fi
