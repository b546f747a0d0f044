#!/usr/bin/env python3
"""Runs dlt (1.31, duckdb destination) on each file of ../shared/dlt_cases/inputs and writes what it
produced -- tables, columns with types, row counts, and the root table's non-system values -- to
Tests/PipelinesTests/Fixtures/dlt_expected.json, which the compatibility test compares Sluice with.

usage: <dlt venv>/bin/python scripts/dlt_compat.py [INPUT_DIR] [OUT_FILE]
"""
import json, os, sys, tempfile
import dlt

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
            tables[t] = {"columns": cols, "rows": count}
    cases[name] = tables
    print(name, len(tables), "tables", file=sys.stderr)

with open(out, "w") as f:
    json.dump({"dlt_version": dlt.__version__, "cases": cases}, f, indent=1, sort_keys=True)
print("wrote", out)
