"""dlt's rest_api source on the benchmark API into SQLite (one worker: dlt's sqlite default fails with
"database is locked"). Usage: dlt_rest.py BASE_URL PER_PAGE WORKDIR"""
import os, sys
base, per_page, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.environ["DLT_DATA_DIR"] = work
os.environ["NORMALIZE__WORKERS"] = "1"
os.environ["LOAD__WORKERS"] = "1"
import dlt
from dlt.sources.rest_api import rest_api_source

source = rest_api_source({
    "client": {"base_url": base, "paginator": {"type": "offset", "limit": per_page, "total_path": "total"}},
    "resources": [{"name": "items", "endpoint": {"path": "items", "data_selector": "data"}, "write_disposition": "append"}],
})
pipeline = dlt.pipeline("rest_bench", destination=dlt.destinations.sqlalchemy(f"sqlite:///{work}/rest.sqlite"),
                        pipelines_dir=work + "/pipelines", dataset_name="main")
info = pipeline.run(source)
print(info)
