"""Interop tier, step 3: pyarrow reads the files of write-files.ts.

Values, the Arrow schema (timestamp[ms, tz=UTC], decimal128, date32, string),
statistics set on every chunk (which pyarrow only trusts with column orders),
and predicates that only succeed if pyarrow skips the corrupted row groups of
skip.parquet by their statistics. Exits 1 on a mismatch.
"""
import datetime
import decimal
import json
import os
import sys

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

d = sys.argv[1] if len(sys.argv) > 1 else ".interop/files"
expected = json.load(open(os.path.join(d, "expected.json")))
failures = 0


def check(what, got, want):
    global failures
    ok = got == want
    if not ok:
        failures += 1
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f"\n     got:  {str(got)[:400]}\n     want: {str(want)[:400]}"))


def text(v, kind):
    """The text forms write-files.ts wrote in expected.json."""
    if v is None:
        return None
    if kind == "b":
        return "true" if v else "false"
    if kind == "d":
        return float(v)
    if kind == "day":
        return v.isoformat()
    if kind == "ts":
        return str(int((v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) / datetime.timedelta(milliseconds=1)))
    if kind in ("amt", "big"):
        return str(v)
    return str(v) if kind == "i" else v


names = [c["name"] for c in expected["columns"]]
want_rows = [[float(x) if (k == "d" and x is not None) else x for k, x in zip(names, r)] for r in expected["rows"]]
for codec in ("zstd", "snappy", "none"):
    path = os.path.join(d, f"{codec}.parquet")
    t = pq.read_table(path)
    cols = [t.column(n).to_pylist() for n in names]
    rows = [[text(cols[c][i], names[c]) for c in range(len(names))] for i in range(t.num_rows)]
    check(f"pyarrow {codec}: every value of {t.num_rows} rows", rows, want_rows)

path = os.path.join(d, "zstd.parquet")
schema = pq.read_schema(path)
check(
    "pyarrow: Arrow types",
    [str(f.type) for f in schema],
    ["string", "string", "int64", "double", "bool", "date32[day]", "timestamp[ms, tz=UTC]", "decimal128(12, 2)", "decimal128(38, 6)"],
)
md = pq.ParquetFile(path).metadata
check("pyarrow: row groups", md.num_row_groups, expected["rowGroups"])
check("pyarrow: created_by", md.created_by.startswith("landing-to-lake version "), True)
check("pyarrow: contract version in key/value metadata", md.metadata.get(b"contract_version"), b"1")
unset = []
for g in range(md.num_row_groups):
    rg = md.row_group(g)
    for c in range(rg.num_columns):
        col = rg.column(c)
        st = col.statistics
        has_values = st is not None and st.null_count < rg.num_rows
        if not (col.is_stats_set and st.has_min_max) and has_values:
            unset.append((g, col.path_in_schema))
        if col.compression != "ZSTD":
            unset.append((g, col.path_in_schema, col.compression))
check("pyarrow: statistics set (min/max) and ZSTD on every chunk with values", unset, [])
st = md.row_group(0).column(names.index("s")).statistics
check("pyarrow: string min/max by UTF-8 bytes", (st.min, st.max), ("", "😀"))
st = md.row_group(0).column(names.index("big")).statistics
check("pyarrow: wide decimal min/max", (type(st.min).__name__, st.min < st.max), ("Decimal", True))
st = md.row_group(0).column(names.index("b")).statistics
check("pyarrow: boolean min/max", (st.min, st.max), (False, True))

skip = os.path.join(d, "skip.parquet")
t = pq.read_table(skip, filters=[("n", "<", 1000)])
check("pyarrow: n < 1000 reads only row group 0 (the others are garbage)", (t.num_rows, max(t.column("n").to_pylist())), (1000, 999))
t = pq.read_table(skip, filters=[("k", "<", "k0000500")])
check("pyarrow: a string predicate skips too", t.num_rows, 500)
frag = next(iter(ds.dataset(skip).get_fragments()))
check("pyarrow: row groups kept by n >= 0 and n < 1000", len(frag.split_by_row_group(ds.field("n") < 1000)), 1)
try:
    pq.read_table(skip)
    failed = False
except Exception:
    failed = True
check("pyarrow: reading everything fails (so the skips above were real)", failed, True)

for s in expected["silver"]:
    t = pq.read_table(s["path"])
    sch = {f.name: str(f.type) for f in t.schema}
    check(
        f"pyarrow: silver {'/'.join(s['path'].split('/')[-2:])}",
        (t.num_rows, sch.get("order_ts"), sch.get("amount"), sch.get("_ingested_at"), sch.get("_source_line"), [f.name for f in t.schema]),
        (s["rows"], "timestamp[ms, tz=UTC]", "decimal128(12, 2)", "timestamp[ms, tz=UTC]", "int64", [c["name"] for c in expected["silverColumns"]]),
    )

g = expected["gold"]
t = pq.read_table(g["path"])
sch = {f.name: str(f.type) for f in t.schema}
check(
    "pyarrow: gold file (exact decimal sum, _updated_at as UTC)",
    (t.num_rows, sch.get("revenue"), sch.get("_updated_at"), t.column("_updated_at").to_pylist()[0].isoformat()),
    (g["rows"], "decimal128(38, 2)", "timestamp[ms, tz=UTC]", "2026-11-22T09:00:00+00:00"),
)

print(f"{failures} interop check(s) failed" if failures else "all pyarrow interop checks passed")
sys.exit(1 if failures else 0)
