"""dlt's filesystem destination on one JSONL file, as a dlt user would load it (pages of 1000 dicts).

usage: python bench/dlt_filesystem.py FORMAT FILE TABLE WORKDIR   (FORMAT: jsonl | parquet)
"""
import json, os, sys
import dlt

fmt, path, table, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
os.chdir(work)
os.environ.setdefault("DLT_DATA_DIR", os.path.join(work, "dlt-data"))
os.environ.setdefault("DLT_PIPELINE_DIR", os.path.join(work, "dlt-pipelines"))

@dlt.resource(name=table, write_disposition="append")
def rows():
    page = []
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                page.append(json.loads(line))
                if len(page) == 1000:
                    yield page
                    page = []
    if page:
        yield page

p = dlt.pipeline(pipeline_name="fs_" + table, destination=dlt.destinations.filesystem(f"file://{work}/fs"), dataset_name="bars")
p.run(rows(), loader_file_format=fmt)
print(sum(p.last_trace.last_normalize_info.row_counts.get(t, 0) for t in [table]))
