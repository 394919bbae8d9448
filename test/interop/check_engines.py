"""Interop tier, step 4: polars, fastparquet and Spark (its vectorized reader and
parquet-mr's) read the files of write-files.ts: every value, the types each
engine maps the logical types to, row-group skipping by statistics on
skip.parquet (its other row groups are garbage, so a reader that does not skip
fails), predicates on edges.parquet's truncated and extreme statistics, the
empty file, silver and gold. Exits 1 on a mismatch.

usage: check_engines.py <files dir> [polars] [fastparquet] [spark]
"""
import glob
import math
import os
import sys
import time

from interop_common import check, check_big_silver, check_edge_predicates, check_kept, check_edge_values, finish, load, matches, ms, text, want_rows

d = sys.argv[1]
engines = sys.argv[2:] or ["polars", "fastparquet", "spark"]
expected = load(d)
names, rows_want = want_rows(expected)
path = lambda name: os.path.join(d, name)  # noqa: E731
silver_names = [c["name"] for c in expected["silverColumns"]]


def rows_of(cols, n):
    return [[text(cols[c][i], names[c]) for c in range(len(names))] for i in range(n)]


def polars():
    import polars as pl

    for codec in ("zstd", "snappy", "none"):
        df = pl.read_parquet(path(f"{codec}.parquet"))
        check(f"polars {codec}: every value of {df.height} rows", rows_of([df[n].to_list() for n in names], df.height), rows_want)
    schema = pl.read_parquet_schema(path("zstd.parquet"))
    check(
        "polars: types",
        [str(schema[n]) for n in names],
        ["String", "String", "Int64", "Float64", "Boolean", "Date", "Datetime(time_unit='ms', time_zone='UTC')", "Decimal(precision=12, scale=2)", "Decimal(precision=38, scale=6)"],
    )
    skip = pl.scan_parquet(path("skip.parquet"))
    check("polars: n < 1000 reads only row group 0", skip.filter(pl.col("n") < 1000).select(pl.len(), pl.col("n").max()).collect().row(0), (1000, 999))
    check("polars: a string predicate skips too", skip.filter(pl.col("k") < "k0000500").select(pl.len()).collect().item(), 500)
    edges = pl.read_parquet(path("edges.parquet"))
    check_edge_values("polars", {c: edges[c].to_list() for c in ("k", "d", "i", "e")}, expected)
    lf = pl.scan_parquet(path("edges.parquet"))

    def count(c, op, v):
        col = pl.col(c)
        lit = pl.lit(v, dtype=pl.Int64) if c == "i" else pl.lit(v)
        e = {"null": lambda: col.is_null(), "=": lambda: col == lit, "<": lambda: col < lit, "<=": lambda: col <= lit, ">": lambda: col > lit, ">=": lambda: col >= lit}[op]()
        if c == "d" and op != "null":
            e = e & col.is_not_nan()
        return lf.filter(e).select(pl.len()).collect().item()

    check_edge_predicates("polars", count, expected)
    check("polars: the empty file", pl.read_parquet(path("empty.parquet")).shape, (0, 4))
    for s in expected["silver"]:
        df = pl.read_parquet(s["path"])
        check(f"polars: silver {'/'.join(s['path'].split('/')[-2:])}", (df.height, df.columns, str(df.schema["order_ts"])), (s["rows"], silver_names, "Datetime(time_unit='ms', time_zone='UTC')"))
    big = pl.scan_parquet(os.path.join(expected["bigSilver"]["dir"], "**", "*.parquet"), hive_partitioning=True)
    row = big.select(
        rows=pl.len(),
        sumAmount=pl.col("amount").sum(),
        distinctIds=pl.col("order_id").n_unique(),
        minTs=pl.col("order_ts").min(),
        maxTs=pl.col("order_ts").max(),
        nullRegions=pl.col("region").is_null().sum(),
        sumQuantity=pl.col("quantity").sum(),
        sumSourceLine=pl.col("_source_line").sum(),
    ).collect().row(0, named=True)
    check_big_silver("polars", {**row, "sumAmount": str(row["sumAmount"]), "minTs": ms(row["minTs"]), "maxTs": ms(row["maxTs"]), "sumQuantity": str(row["sumQuantity"]), "sumSourceLine": str(row["sumSourceLine"])}, expected)
    # README: one table over files with different kept columns: the union of their schemas, missing columns inserted.
    schema = {}
    for f in sorted(glob.glob(os.path.join(expected["kept"]["dir"], "*", "*.parquet"))):
        for name, dtype in pl.read_parquet_schema(f).items():
            schema.setdefault(name, dtype)
    df = pl.scan_parquet(os.path.join(expected["kept"]["dir"], "**", "*.parquet"), hive_partitioning=True, schema=schema, missing_columns="insert").collect()
    check_kept("polars", df.columns, df.height, df.height - df["region_code"].null_count(), df.height - df["note"].null_count(), expected)
    g = pl.read_parquet(expected["gold"]["path"])
    check("polars: gold", (g.height, str(g.schema["revenue"]), str(g.schema["_updated_at"])), (expected["gold"]["rows"], "Decimal(precision=38, scale=2)", "Datetime(time_unit='ms', time_zone='UTC')"))


def fastparquet():
    import fastparquet as fp
    import pandas as pd

    def py(v):
        return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT else v

    for codec in ("zstd", "snappy", "none"):
        df = fp.ParquetFile(path(f"{codec}.parquet")).to_pandas()
        cols = {n: [py(v) for v in df[n].tolist()] for n in names}
        # fastparquet turns decimals into doubles and dates into datetime64[ns] timestamps, which
        # overflow outside 1677-2262 (as in files from any writer): compare those as such, in range.
        in_ns = [r[5] is None or "1678" <= r[5] < "2262" for r in rows_want]
        cols["day"] = [None if v is None or not ok else v.to_pydatetime() for v, ok in zip(cols["day"], in_ns)]
        cols["ts"] = [None if v is None else v.to_pydatetime() for v in cols["ts"]]
        got = rows_of([cols[n] for n in names], len(df))
        near = lambda a, b: (a is None) == (b is None) and (a is None or abs(float(a) - float(b)) <= 1e-12 * abs(float(b)) + 1e-9)  # noqa: E731
        exact = [r[:7] for r in got] == [r[:5] + [r[5] if ok else None] + r[6:7] for r, ok in zip(rows_want, in_ns)]
        check(f"fastparquet {codec}: every value of {len(df)} rows (decimals to double precision)", exact and all(near(a[k], b[k]) for a, b in zip(got, rows_want) for k in (7, 8)), True)
    pf = fp.ParquetFile(path("skip.parquet"))
    check("fastparquet: n < 1000 reads only row group 0", len(pf.to_pandas(filters=[("n", "<", 1000)])), 1000)
    check("fastparquet: a string predicate skips too", len(pf.to_pandas(filters=[("k", "<", "k0000500")], row_filter=True)), 500)
    edges = fp.ParquetFile(path("edges.parquet")).to_pandas()
    got = {c: [py(v) for v in edges[c].tolist()] for c in ("k", "i", "e")}
    # pandas holds a double null as NaN: a null in the file must come back NaN, the rest bit for bit.
    want_d = [r[1] for r in expected["edges"]["rows"]]
    got["d"] = [None if w is None and math.isnan(v) else float(v) for v, w in zip(edges["d"].tolist(), want_d)]
    check_edge_values("fastparquet", got, expected)
    pe = fp.ParquetFile(path("edges.parquet"))
    fop = {"=": "==", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

    def count(c, op, v):
        if op == "null":
            return int(pe.to_pandas(columns=[c])[c].isna().sum())
        # The row groups fastparquet keeps by their statistics, then the rows in them that match
        # (its own row_filter fails on nullable integer columns with pandas' masked arrays).
        col = pe.to_pandas(columns=[c], filters=[(c, fop[op], v)])[c].astype(object)
        return sum(1 for x in col if x is not pd.NA and matches(x, op, v))

    check_edge_predicates("fastparquet", count, expected)
    check("fastparquet: the empty file", fp.ParquetFile(path("empty.parquet")).to_pandas().shape, (0, 4))
    for s in expected["silver"]:
        df = fp.ParquetFile(s["path"]).to_pandas()
        check(f"fastparquet: silver {'/'.join(s['path'].split('/')[-2:])}", (len(df), list(df.columns)), (s["rows"], silver_names))
    from decimal import Decimal

    # Absolute paths: fastparquet loses relative ones when it reads several files.
    big = fp.ParquetFile(sorted(glob.glob(os.path.join(os.path.abspath(expected["bigSilver"]["dir"]), "*", "*.parquet")))).to_pandas()
    # Decimals come back as doubles: each one rounds back to its cents exactly.
    cents = sum(int(round(x * 100)) for x in big["amount"].tolist())
    check_big_silver(
        "fastparquet",
        {
            "rows": len(big),
            "sumAmount": str(Decimal(cents) / 100),
            "distinctIds": big["order_id"].nunique(),
            "minTs": ms(big["order_ts"].min().to_pydatetime()),
            "maxTs": ms(big["order_ts"].max().to_pydatetime()),
            "nullRegions": int(big["region"].isna().sum()),
            "sumQuantity": str(int(big["quantity"].sum())),
            "sumSourceLine": str(int(big["_source_line"].sum())),
        },
        expected,
    )
    g = fp.ParquetFile(expected["gold"]["path"]).to_pandas()
    check("fastparquet: gold", len(g), expected["gold"]["rows"])


def check_loopback(when, pid):
    """Every socket the Spark JVM (and what it started) and this Python driver (its accumulator
    server) listen on is on loopback."""
    import re
    import subprocess

    pids = {str(pid), str(os.getpid())} | set(subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split())
    out = subprocess.run(["ss", "-H", "-ltnup"], capture_output=True, text=True, check=True).stdout
    mine = [line.split() for line in out.splitlines() if any(f"pid={p}," in line for p in pids)]
    local = [cols[4] for cols in mine]
    beyond = [a for a in local if not re.match(r"^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]):[0-9]+$", a)]
    check(f"spark {when}: its {len(local)} listening sockets (JVM and driver) are on loopback only", (len(local) > 0, beyond), (True, []))


def spark():
    os.environ["TZ"] = "UTC"
    time.tzset()
    # The driver's servers on the loopback interface only.
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    s = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    jvm = s.sparkContext._gateway.proc.pid
    check_loopback("after start", jvm)
    for vec in ("true", "false"):
        engine = f"spark ({'vectorized' if vec == 'true' else 'parquet-mr'} reader)"
        s.conf.set("spark.sql.parquet.enableVectorizedReader", vec)
        for codec in ("zstd", "snappy", "none"):
            df = s.read.parquet(path(f"{codec}.parquet"))
            got = df.select(*names).collect()
            check(f"{engine} {codec}: every value of {len(got)} rows", rows_of([[r[n] for r in got] for n in names], len(got)), rows_want)
        df = s.read.parquet(path("zstd.parquet"))
        check(f"{engine}: types", [f.dataType.simpleString() for f in df.schema.fields], ["string", "string", "bigint", "double", "boolean", "date", "timestamp", "decimal(12,2)", "decimal(38,6)"])
        skip = s.read.parquet(path("skip.parquet"))
        check(f"{engine}: n < 1000 reads only row group 0", tuple(skip.filter("n < 1000").agg(F.count("*"), F.max("n")).collect()[0]), (1000, 999))
        check(f"{engine}: a string predicate skips too", skip.filter(F.col("k") < F.lit("k0000500")).count(), 500)
        edges = s.read.parquet(path("edges.parquet"))
        rows = edges.collect()
        check_edge_values(engine, {c: [r[c] for r in rows] for c in ("k", "d", "i", "e")}, expected)

        def count(c, op, v):
            col = F.col(c)
            if op == "null":
                return edges.filter(col.isNull()).count()
            e = {"=": col == F.lit(v), "<": col < F.lit(v), "<=": col <= F.lit(v), ">": col > F.lit(v), ">=": col >= F.lit(v)}[op]
            if c == "d":
                e = e & ~F.isnan(col)  # Spark orders NaN above every number
            return edges.filter(e).count()

        check_edge_predicates(engine, count, expected)
        check(f"{engine}: the empty file", s.read.parquet(path("empty.parquet")).count(), 0)
        for sv in expected["silver"]:
            df = s.read.parquet(sv["path"])
            check(f"{engine}: silver {'/'.join(sv['path'].split('/')[-2:])}", (df.count(), df.columns, dict(df.dtypes)["order_ts"]), (sv["rows"], silver_names, "timestamp"))
        r = (
            s.read.parquet(expected["bigSilver"]["dir"])
            .agg(
                F.count("*").alias("rows"),
                F.sum("amount").alias("sumAmount"),
                F.countDistinct("order_id").alias("distinctIds"),
                F.min("order_ts").alias("minTs"),
                F.max("order_ts").alias("maxTs"),
                F.sum(F.col("region").isNull().cast("long")).alias("nullRegions"),
                F.sum("quantity").alias("sumQuantity"),
                F.sum("_source_line").alias("sumSourceLine"),
            )
            .collect()[0]
            .asDict()
        )
        check_big_silver(engine, {**r, "sumAmount": str(r["sumAmount"]), "minTs": ms(r["minTs"]), "maxTs": ms(r["maxTs"]), "sumQuantity": str(r["sumQuantity"]), "sumSourceLine": str(r["sumSourceLine"])}, expected)
        kept = s.read.option("mergeSchema", "true").parquet(expected["kept"]["dir"])
        n = kept.agg(F.count("*"), F.count("region_code"), F.count("note")).collect()[0]
        check_kept(engine, kept.columns, n[0], n[1], n[2], expected)
        g = s.read.parquet(expected["gold"]["path"])
        check(f"{engine}: gold", (g.count(), dict(g.dtypes)["revenue"], dict(g.dtypes)["_updated_at"]), (expected["gold"]["rows"], "decimal(38,2)", "timestamp"))
    check_loopback("after the checks", jvm)
    s.stop()


for name in engines:
    t0 = time.time()
    {"polars": polars, "fastparquet": fastparquet, "spark": spark}[name]()
    print(f"{name}: {time.time() - t0:.1f} s", flush=True)
finish("polars/fastparquet/Spark")
