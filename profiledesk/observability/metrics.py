"""The per-process metrics of the web processes: request latency and database queries by
view. prometheus-client keeps them in memory, or, with `PROMETHEUS_MULTIPROC_DIR` set (as
every gunicorn deployment must: docs/operations.md), in one file per worker process that
the scrape sums (`gunicorn_conf.child_exit` marks a dead worker's files).

Labels are bounded by construction: a view is its URL pattern's name (never the path, so
never a customer id or a token), the method one of a fixed list, the status its class.
"""

from prometheus_client import Histogram

LATENCY = Histogram(
    "profiledesk_http_request_duration_seconds",
    "Time to answer a request, by view (URL pattern name), method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
QUERIES = Histogram(
    "profiledesk_http_request_db_queries",
    "Database queries made to answer a request, by view (URL pattern name).",
    ["view"],
    buckets=(0, 1, 2, 5, 10, 15, 20, 30, 50, 100, 200),
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
