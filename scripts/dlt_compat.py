#!/usr/bin/env python3
"""Runs dlt (1.31, duckdb destination) on each file of ../shared/dlt_cases/inputs and writes what it
produced -- tables, columns with types, row counts, and per column a digest of its values -- to
Tests/PipelinesTests/Fixtures/dlt_expected.json, which the compatibility test compares Sluice with.

usage: <dlt venv>/bin/python scripts/dlt_compat.py [INPUT_DIR] [OUT_FILE]
"""
import datetime, decimal, json, os, sys, tempfile
import dlt

def canonical(v, data_type):
    """The text both sides agree on for one value (see DltCompatibilityTests.canonical)."""
    if v is None:
        return "\u2205"
    if data_type == "json":
        if isinstance(v, str):
            v = json.loads(v)
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return str(v)

def digest(values):
    """FNV-1a 64 over the sorted canonical values joined by newlines, as hex."""
    h = 0xcbf29ce484222325
    for b in "\n".join(sorted(values)).encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "016x")

inputs = sys.argv[1] if len(sys.argv) > 1 else "../shared/dlt_cases/inputs"
out = sys.argv[2] if len(sys.argv) > 2 else "Tests/PipelinesTests/Fixtures/dlt_expected.json"
work = tempfile.mkdtemp(prefix="dlt-compat-")
os.environ["DLT_DATA_DIR"] = os.path.join(work, "data")
os.environ["DLT_PIPELINE_DIR"] = os.path.join(work, "pipelines")

def read(path):
    with open(path, "rb") as f:
        if path.endswith(".jsonl"):
            return [json.loads(line) for line in f if line.strip()]
        doc = json.load(f)
        return doc if isinstance(doc, list) else [doc]

cases = {}
files = sorted(f for f in os.listdir(inputs) if f.endswith((".json", ".jsonl")))
for name in files:
    case = name.rsplit(".", 1)[0].replace(".", "_")
    p = dlt.pipeline(pipeline_name="c_" + case, destination=dlt.destinations.duckdb(os.path.join(work, case + ".duckdb")),
                     dataset_name="d")
    p.run(read(os.path.join(inputs, name)), table_name="data")
    tables = {}
    with p.sql_client() as c:
        for t in p.default_schema.data_table_names():
            cols = {n: col["data_type"] for n, col in p.default_schema.tables[t]["columns"].items() if "data_type" in col}
            count = c.execute_sql(f'select count(*) from "{t}"')[0][0]
            digests = {}
            for n, data_type in cols.items():
                if n.startswith("_dlt_") and n not in ("_dlt_list_idx",):
                    continue  # generated ids and load ids differ by design
                values = [canonical(r[0], data_type) for r in c.execute_sql(f'select "{n}" from "{t}"')]
                digests[n] = digest(values)
            tables[t] = {"columns": cols, "rows": count, "digests": digests}
    cases[name] = tables
    print(name, len(tables), "tables", file=sys.stderr)

with open(out, "w") as f:
    json.dump({"dlt_version": dlt.__version__, "cases": cases}, f, indent=1, sort_keys=True)
print("wrote", out)
