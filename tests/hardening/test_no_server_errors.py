"""Whatever a scanner sends, the desk answers 4xx, never 5xx: every URL pattern (read from
the resolver, like the authorization matrix), every method (OPTIONS, HEAD, PUT, PATCH,
DELETE, POST with bogus form values, GET with bogus query values), with plausible and
hostile path values, as an anonymous visitor, an agent and a supervisor."""

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests import test_authorization_matrix as matrix
from tests.conftest import signed_in
from tests.test_authorization_matrix import ADMIN_VALUES, all_url_patterns, concrete, parameters

url_values = matrix.url_values  # the matrix's fixture: a ticket, a customer, an export...

# What a scanner puts in query strings and forms: wrong types, negative and huge numbers,
# NUL bytes, bidi overrides, markup, a very long value.
HOSTILE = [
    "zz",
    "-1",
    "9" * 40,
    "\x00",
    "\u202eevil",
    "<script>x</script>",
    "' OR 1=1--",
    "x" * 5000,
]
QUERY_KEYS = ["page", "cursor", "after", "before", "q", "state", "sort", "since", "until"]
FORM_KEYS = [
    "to", "reason", "body", "summary", "channel", "category", "q", "next", "diff_hash",
    "contact", "code", "since", "until", "format", "page", "after", "before", "field", "kind",
]  # fmt: skip


def bogus(keys: list[str], value: str) -> dict[str, str]:
    return dict.fromkeys(keys, value)


# Path values a scanner tries: ids that do not exist, that overflow a 64-bit column, that
# carry a NUL byte or a quote.
HOSTILE_PATH = {"int": ["0", "9" * 25], "str": ["\x00", "PD-" + "9" * 25, "'\"<>", "%2e%2e"]}


def _paths(name, pattern, route, values):
    """The plausible path of the URL, then hostile ones."""
    params = parameters(pattern)
    if route.startswith("admin/"):
        yield concrete(route, ADMIN_VALUES)
        return
    yield reverse(name, kwargs={p: values[p] for p in params})
    converters = getattr(pattern.pattern, "converters", {}) or {}
    for param in params:
        kind = "int" if type(converters.get(param)).__name__ == "IntConverter" else "str"
        for hostile in HOSTILE_PATH[kind]:
            try:
                yield reverse(name, kwargs={p: values[p] for p in params} | {param: hostile})
            except NoReverseMatch:
                continue


def _client(persona, personas) -> Client:
    http = Client() if persona == "anonymous" else signed_in(personas[persona])
    http.raise_request_exception = False  # a 500 is recorded, not raised
    return http


def _requests(http: Client, path: str):
    yield "OPTIONS", http.options(path)
    yield "HEAD", http.head(path)
    yield (
        "PUT",
        http.put(path, "to=bogus&reason=zz", content_type="application/x-www-form-urlencoded"),
    )
    yield "PATCH", http.patch(path, '{"to": [[[[', content_type="application/json")
    yield "DELETE", http.delete(path)
    for value in HOSTILE:
        yield f"GET ?{value[:10]!r}", http.get(path, bogus(QUERY_KEYS, value))
        yield f"POST {value[:10]!r}", http.post(path, bogus(FORM_KEYS, value))


@pytest.mark.parametrize("persona", ["anonymous", "agent", "supervisor"])
def test_no_url_answers_any_method_or_bogus_value_with_a_server_error(
    persona, personas, url_values, settings
):
    settings.HEALTH_CELERY_TIMEOUT = 0.2  # no worker runs here; /healthz answers 503 fast
    failures = []
    for name, pattern, route in all_url_patterns():
        if name in ("accounts:logout", "admin:logout"):
            continue  # ends the session: covered by the matrix
        for path in _paths(name, pattern, route, url_values):
            # A fresh session per path: "end my other sessions" and friends change it.
            http = _client(persona, personas)
            for label, response in _requests(http, path):
                if response.status_code >= 500 and name != "healthz":
                    failures.append(f"{label} {path!r} ({name}): {response.status_code}")
    assert failures == [], "\n".join(failures)
