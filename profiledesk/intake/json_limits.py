"""JSON from outside the desk is measured before it is parsed: Python's json module
recurses once per nested array or object, so 2,000 nested `{"a":` raise RecursionError
(a 500) instead of a refusal. Used by the API's parser and the inbound webhook's
`envelope` field."""

import json
import re

from django.utils.translation import gettext as _

# A string literal (with its escapes): brackets inside one do not nest anything.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class JSONLimitError(ValueError):
    """The JSON is too deep to parse; the message says the limit and is safe to send."""


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, counted without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_json_depth(text: str, *, max_depth: int) -> None:
    if json_depth(text) > max_depth:
        raise JSONLimitError(
            _("The JSON nests arrays and objects more than %(max)d levels deep.")
            % {"max": max_depth}
        )


def _not_json(constant: str):
    raise ValueError(_("%(constant)s is not a JSON value.") % {"constant": constant})


def loads_limited(text: str, *, max_depth: int):
    """json.loads, refusing (JSONLimitError) what nests deeper than `max_depth`, and
    NaN and Infinity (Python's extension, not JSON) as a ValueError."""
    check_json_depth(text, max_depth=max_depth)
    try:
        return json.loads(text, parse_constant=_not_json)
    except RecursionError:  # a guard behind the guard: never a 500
        raise JSONLimitError(_("The JSON nests too deeply.")) from None
