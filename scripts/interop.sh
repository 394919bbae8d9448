#!/usr/bin/env bash
# Interop tier: silver/gold Parquet read by other engines. Writes files of every
# type (nulls, many row groups, dictionary and PLAIN chunks, every codec), then
# DuckDB and hyparquet (npm) and pyarrow (PyPI, into .interop/venv, git-ignored)
# check values, logical types, statistics and row-group skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
PYARROW=26.0.1
VENV=.interop/venv
FILES=.interop/files

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import importlib.metadata as m; assert m.version('pyarrow') == '$PYARROW'" 2>/dev/null; then
  echo "installing pyarrow==$PYARROW into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "pyarrow==$PYARROW"
fi

npx tsx test/interop/write-files.ts "$FILES"
npx tsx test/interop/check-js.ts "$FILES"
"$VENV/bin/python" test/interop/check_pyarrow.py "$FILES"
