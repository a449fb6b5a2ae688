"""The Jinja2 environment of the hot fragments (issue 20): the queue's rows and filters,
the history page's versions. Django templates render everything else; these few are
printed thousands of times a minute, and Jinja2 compiles them to Python.

The same rules as the Django templates: every value escaped (`markup_check` refuses
`autoescape false`), and a misspelt name fails rather than prints nothing."""

from functools import cache

import jinja2
from django.conf import settings


@cache
def jinja_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(settings.BASE_DIR / "templates"),
        autoescape=True,  # every value printed is escaped, as in a Django template
        undefined=jinja2.StrictUndefined,  # a misspelt name fails, never prints ""
        auto_reload=settings.DEBUG,
    )
