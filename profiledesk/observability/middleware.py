"""Times every request and counts its database queries, labelled by view.

First in MIDDLEWARE, so that the time covers every other middleware too. It is not
installed at all (MiddlewareNotUsed) unless metrics are on (`METRICS_ENABLED`).
"""

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from .metrics import LATENCY, METHODS, QUERIES, UNMATCHED


def view_label(request: HttpRequest) -> str:
    """The URL pattern's name ("tickets:detail"), never the path it was given."""
    match = getattr(request, "resolver_match", None)
    if match is None:  # answered before the URL was resolved (a 400 for a NUL, a redirect)
        try:
            match = resolve(request.path_info)
        except (Resolver404, ValueError):
            return UNMATCHED
    return match.view_name or UNMATCHED


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql, params, many, context) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.METRICS_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = _QueryCounter()
        started = time.perf_counter()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(queries))
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        status = f"{response.status_code // 100}xx"
        LATENCY.labels(view=view, method=method, status=status).observe(elapsed)
        QUERIES.labels(view=view).observe(queries.count)
        return response
