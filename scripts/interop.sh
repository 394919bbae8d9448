#!/usr/bin/env bash
# Interop tier: silver/gold Parquet read by other engines. Writes files of every
# type (nulls, many row groups, dictionary and PLAIN chunks, every codec, values
# whose statistics are easy to get wrong, an empty file), then DuckDB and
# hyparquet (npm), pyarrow, polars, fastparquet and Spark (PyPI, into
# .interop/venv, git-ignored; Spark on the machine's Java 17) check values,
# logical types, statistics and row-group skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.interop/venv
FILES=.interop/files
REQ=test/interop/requirements.txt
command -v java >/dev/null || { echo "interop tier: PySpark needs Java 17+ on PATH (java not found)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQ" "$VENV/requirements.txt"; then
  echo "installing $(grep -v '^#' "$REQ" | tr '\n' ' ')into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
  cp "$REQ" "$VENV/requirements.txt"
fi

npx tsx test/interop/write-files.ts "$FILES"
npx tsx test/interop/check-js.ts "$FILES"
"$VENV/bin/python" test/interop/check_pyarrow.py "$FILES"
# Spark's log4j and progress lines go to stderr; the checks print to stdout.
"$VENV/bin/python" test/interop/check_engines.py "$FILES" polars fastparquet spark 2> >(grep -v -E '^(WARNING|Using Spark|Setting default|To adjust|[0-9/]+ [0-9:]+ WARN)' >&2)
