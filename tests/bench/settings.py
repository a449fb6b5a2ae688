"""The settings gunicorn runs with in `make bench` (tests/bench/http_bench.py): production's
(profiledesk.settings.base, from the environment) plus the bench's yardstick URL and a way
to count a request's queries over HTTP. Never a deployment's settings."""

from profiledesk.settings.base import *  # noqa: F403
from profiledesk.settings.base import MIDDLEWARE

ROOT_URLCONF = "tests.bench.urls"  # the desk's URLs and the bare view

# First, so that the count holds every query of the request (session, user, second
# factor, the view): what the test client's CaptureQueriesContext counted in run.py.
MIDDLEWARE = ["tests.bench.urls.count_queries", *MIDDLEWARE]
