"""Shared by the Python interop checkers: expected.json, the check() report, the
text forms of write-files.ts, and edges.parquet's predicates with the row counts
they must return (computed here from the values, in code point order: UTF-8 byte
order, which is what the statistics promise)."""
import datetime
import json
import math
import os
import struct
import sys

failures = 0


def check(what, got, want):
    global failures
    ok = got == want
    if not ok:
        failures += 1
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f"\n     got:  {str(got)[:400]}\n     want: {str(want)[:400]}"), flush=True)


def finish(name):
    print(f"{failures} {name} interop check(s) failed" if failures else f"all {name} interop checks passed")
    sys.exit(1 if failures else 0)


def load(d):
    return json.load(open(os.path.join(d, "expected.json")))


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def text(v, kind):
    """The text forms write-files.ts wrote in expected.json (naive timestamps are UTC)."""
    if v is None:
        return None
    if kind == "b":
        return "true" if v else "false"
    if kind == "d":
        return float(v)
    if kind == "day":
        return (v.date() if isinstance(v, datetime.datetime) else v).isoformat()
    if kind == "ts":
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return str((v - EPOCH) // datetime.timedelta(milliseconds=1))
    if kind in ("amt", "big"):
        return str(v)
    return str(v) if kind == "i" else v


def want_rows(expected):
    names = [c["name"] for c in expected["columns"]]
    return names, [[float(x) if (k == "d" and x is not None) else x for k, x in zip(names, r)] for r in expected["rows"]]


# ---- edges.parquet -------------------------------------------------------------------


def edge_values(expected):
    """Columns k, d, i, e of edges.parquet as Python values."""
    rows = expected["edges"]["rows"]
    k = [r[0] for r in rows]
    d = [None if r[1] is None else (-0.0 if r[1] == "-0" else float(r[1])) for r in rows]
    i = [None if r[2] is None else int(r[2]) for r in rows]
    e = [r[3] for r in rows]
    return {"k": k, "d": d, "i": i, "e": e}


def same_double(a, b):
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return struct.pack("<d", a) == struct.pack("<d", b)


def check_edge_values(engine, got, expected):
    """got: column name -> list of values as the engine read them (doubles as floats)."""
    want = edge_values(expected)
    for c in ("k", "i", "e"):
        check(f"{engine} edges: every {c} value", got[c], want[c])
    bad = [n for n, (a, b) in enumerate(zip(got["d"], want["d"])) if not same_double(a, b)]
    check(f"{engine} edges: every double bit for bit (NaN, -0, infinities, subnormals)", (len(got["d"]), bad[:5]), (len(want["d"]), []))


OPS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def matches(x, op, v):
    """SQL's comparison: a null (None) or a NaN matches no predicate."""
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and OPS[op](x, v)


def edge_predicates(expected):
    """(column, op, value, rows) for each predicate: every row group's real min and max
    of k (where truncated statistics would make a reader skip wrongly), and the
    extremes of d and i. op "null" is IS NULL."""
    vals = edge_values(expected)
    group = len(vals["k"]) // expected["edges"]["rowGroups"]
    preds = []
    for g in range(expected["edges"]["rowGroups"]):
        ks = [v for v in vals["k"][g * group : (g + 1) * group] if v is not None]
        if not ks:
            continue
        lo, hi = min(ks), max(ks)
        preds += [("k", "=", lo), ("k", "<=", lo), ("k", ">", lo), ("k", "=", hi), ("k", ">=", hi), ("k", "<", hi)]
    preds += [("k", "null", None), ("e", "=", ""), ("e", "null", None)]
    preds += [("d", "=", 0.0), ("d", "=", -1.5), ("d", "<", -1e308), ("d", "<=", -sys.float_info.max), ("d", "=", float("inf"))]
    preds += [("i", "=", 2**63 - 1), ("i", "=", -(2**63)), ("i", "<", -(2**63) + 1), ("i", ">", 2**63 - 2), ("i", "=", 0), ("i", "<", 0)]
    out = []
    for c, op, v in preds:
        col = vals[c]
        if op == "null":
            n = sum(1 for x in col if x is None)
        else:
            n = sum(1 for x in col if matches(x, op, v))
        out.append((c, op, v, n))
    return out


def check_edge_predicates(engine, count, expected):
    """count(column, op, value) -> rows the engine returns for the predicate."""
    wrong = []
    preds = edge_predicates(expected)
    for c, op, v, n in preds:
        got = count(c, op, v)
        if got != n:
            wrong.append(f"{c} {op} {v!r:.40}: {got} rows, want {n}")
    check(f"{engine} edges: {len(preds)} predicates on every row group's min and max return every row", wrong, [])


# ---- big/stage/silver: the stage's silver for 600,000 generated rows -------------------


def check_big_silver(engine, got, expected):
    """got: the engine's aggregates over every silver file, as the keys of expected.json's
    bigSilver (amounts as decimal text, timestamps as epoch ms, counts as ints)."""
    b = expected["bigSilver"]
    keys = ("rows", "sumAmount", "distinctIds", "minTs", "maxTs", "nullRegions", "sumQuantity", "sumSourceLine")
    want = {k: (str(b[k]) if isinstance(b[k], str) else b[k]) for k in keys}
    check(f"{engine}: the stage's silver for {b['rows']:,} generated rows ({b['files']} files) sums as generated", {k: got.get(k) for k in keys}, want)


def ms(v):
    """Epoch milliseconds of a timestamp an engine returned (naive ones are UTC), as text."""
    return text(v, "ts")


# ---- kept/stage/silver: files that differ only in kept extra columns --------------------


def check_kept(engine, columns, rows, region_code, note, expected):
    """One table over both files, declared as README says: every contract, audit and kept column
    (and dt), every row, and each kept column set only on its own file's rows."""
    k = expected["kept"]
    check(
        f"{engine}: one table over files with different kept columns (columns, rows, region_code and note set)",
        (sorted(columns), rows, region_code, note),
        (sorted(k["columns"] + ["dt"]), k["rows"], 30, 20),
    )
