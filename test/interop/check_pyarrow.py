"""Interop tier, step 3: pyarrow reads the files of write-files.ts.

Values, the Arrow schema (timestamp[ms, tz=UTC], decimal128, date32, string),
statistics set on every chunk (which pyarrow only trusts with column orders),
and predicates that only succeed if pyarrow skips the corrupted row groups of
skip.parquet by their statistics. Exits 1 on a mismatch.
"""
import glob
import math
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from interop_common import check, check_big_silver, check_edge_predicates, check_kept, check_edge_values, finish, load, ms, text, want_rows

d = sys.argv[1] if len(sys.argv) > 1 else ".interop/files"
expected = load(d)
names, want = want_rows(expected)
for codec in ("zstd", "snappy", "none"):
    path = os.path.join(d, f"{codec}.parquet")
    t = pq.read_table(path)
    cols = [t.column(n).to_pylist() for n in names]
    rows = [[text(cols[c][i], names[c]) for c in range(len(names))] for i in range(t.num_rows)]
    check(f"pyarrow {codec}: every value of {t.num_rows} rows", rows, want)

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

edges_path = os.path.join(d, "edges.parquet")
t = pq.read_table(edges_path)
check_edge_values("pyarrow", {c: t.column(c).to_pylist() for c in ("k", "d", "i", "e")}, expected)
# The statistics themselves: every value of every row group lies within its min and max
# (strings as UTF-8 bytes, the order the footer's column orders declare).
md = pq.ParquetFile(edges_path).metadata
outside = []
pf = pq.ParquetFile(edges_path)
for g in range(md.num_row_groups):
    part = pf.read_row_group(g)
    for c in range(md.num_columns):
        st = md.row_group(g).column(c).statistics
        if st is None or not st.has_min_max:
            continue
        name = md.schema.column(c).name
        key = (lambda v: v.encode()) if name in ("k", "e") else (lambda v: v)
        vals = [v for v in part.column(name).to_pylist() if v is not None and v == v]
        if vals and not (key(st.min) <= key(min(vals, key=key)) and key(max(vals, key=key)) <= key(st.max)):
            outside.append((g, name))
check("pyarrow edges: every value within its row group's min and max", outside, [])
# And the statistics are there: k's min and max in every row group but the all-null one and those
# whose max cannot be rounded up within 64 bytes (every character U+10FFFF); a cut min is a prefix
# of the real one; a chunk of -0 alone has min -0 and max +0 (the spec's rule for zeros).
k = md.schema.names.index("k")
has = [md.row_group(g).column(k).statistics.has_min_max for g in range(md.num_row_groups)]
check("pyarrow edges: k has min/max in row groups 0, 1, 3, 4, 5, 6 only", [g for g, h in enumerate(has) if h], [0, 1, 3, 4, 5, 6])
vals = [r[0] for r in expected["edges"]["rows"]]
group = len(vals) // md.num_row_groups
bad_min = []
for g in range(md.num_row_groups):
    st = md.row_group(g).column(k).statistics
    if not st.has_min_max:
        continue
    real = min(v.encode() for v in vals[g * group : (g + 1) * group] if v is not None)
    if not (real.startswith(st.min.encode()) and len(st.min.encode()) <= 64 and len(st.max.encode()) <= 64):
        bad_min.append(g)
check("pyarrow edges: each k min is a prefix of the real min, and min and max hold at most 64 bytes", bad_min, [])
st = md.row_group(3).column(md.schema.names.index("d")).statistics
check("pyarrow edges: a chunk of -0 alone has min -0.0 and max +0.0", (math.copysign(1, st.min), math.copysign(1, st.max)), (-1.0, 1.0))
dset = ds.dataset(edges_path)


def count(c, op, v):
    f = ds.field(c)
    if op == "null":
        return dset.count_rows(filter=f.is_null())
    e = {"=": f == v, "<": f < v, "<=": f <= v, ">": f > v, ">=": f >= v}[op]
    if c == "d":
        e = e & ~pc.is_nan(f)
    return dset.count_rows(filter=e)


check_edge_predicates("pyarrow", count, expected)
check("pyarrow: the empty file", pq.read_table(os.path.join(d, "empty.parquet")).shape, (0, 4))

big = ds.dataset(expected["bigSilver"]["dir"], partitioning="hive")
t = big.to_table()
check_big_silver(
    "pyarrow",
    {
        "rows": t.num_rows,
        "sumAmount": str(pc.sum(t["amount"]).as_py()),
        "distinctIds": pc.count_distinct(t["order_id"]).as_py(),
        "minTs": ms(pc.min(t["order_ts"]).as_py()),
        "maxTs": ms(pc.max(t["order_ts"]).as_py()),
        "nullRegions": t["region"].null_count,
        "sumQuantity": str(pc.sum(t["quantity"]).as_py()),
        "sumSourceLine": str(pc.sum(t["_source_line"]).as_py()),
    },
    expected,
)
groups = sorted(pq.ParquetFile(f.path).metadata.num_row_groups for f in big.get_fragments())
check("pyarrow: the big silver has several row groups in every file", (len(groups), groups[0] >= 2), (expected["bigSilver"]["files"], True))

# README: one table over files with different kept columns, with the union of their schemas.
kept_files = sorted(glob.glob(os.path.join(expected["kept"]["dir"], "*", "*.parquet")))
schema = pa.unify_schemas([pq.read_schema(f) for f in kept_files]).append(pa.field("dt", pa.string()))
t = ds.dataset(expected["kept"]["dir"], schema=schema, partitioning="hive").to_table()
check_kept("pyarrow", t.column_names, t.num_rows, t.num_rows - t["region_code"].null_count, t.num_rows - t["note"].null_count, expected)

finish("pyarrow")
