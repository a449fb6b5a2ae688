"""The registry a scrape is read from: the per-process metrics (every gunicorn worker's
files in multiprocess mode, else this process's own) and the desk-wide readings."""

import os

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

from .collectors import DeskCollector


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Default())
    registry.register(DeskCollector())
    return registry


class _Default:
    """This process's own metrics (a single process: runserver, the tests)."""

    def collect(self):
        return REGISTRY.collect()
