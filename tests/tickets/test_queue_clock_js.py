"""The browser's clock texts are the server's (issue 20): static/desk/clock.js works out
the queue rows' SLA and age texts between refreshes, and must give, for every instant,
what `sla_status` and `ticket_age` would render then — in every language the desk speaks.
The functions run in Node (the JavaScript engine of the browser's kind) over the same
instants as the Python ones."""

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import dateformat, translation
from django.utils.timesince import TIME_STRINGS
from django.utils.translation import ngettext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from profiledesk.policies.sla import sla_status
from profiledesk.tickets.queue_clock import AGE_UNITS, clock_words, epoch_us
from profiledesk.tickets.selectors import ticket_age

CLOCK_JS = Path(settings.BASE_DIR) / "static" / "desk" / "clock.js"
# Node.js is a requirement of the desk's build (npm: axe-core, Chart.js): no skip.
NODE = shutil.which("node") or "node"

RUNNER = """
const clock = require(process.env.CLOCK_JS);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk)).on("end", () => {
  const { words, cases } = JSON.parse(input);
  const answers = cases.map(([kind, at, now, zone]) =>
    kind === "sla" ? clock.sla(words, at, now)
    : kind === "age" ? clock.age(words, at, now)
    : clock.hoursMinutes(now / 1000, zone));
  process.stdout.write(JSON.stringify(answers));
});
"""
LANGUAGES = [code for code, _name in settings.LANGUAGES]
ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]


def in_browser(language: str, cases: list[tuple]) -> list:
    with translation.override(language):
        words = clock_words()
    done = subprocess.run(  # noqa: S603 - Node.js on our own file, fixed arguments
        [NODE, "-e", RUNNER],
        input=json.dumps({"words": words, "cases": cases}),
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"CLOCK_JS": str(CLOCK_JS)},
        timeout=30,
    )
    return json.loads(done.stdout)


def on_server(language: str, case: tuple) -> object:
    kind, at, now, zone = case
    moment = lambda us: dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)  # noqa: E731
    with translation.override(language):
        if kind == "sla":
            clock = SimpleNamespace(sla_due_at=moment(at), sla_paused_at=None)
            band, text = sla_status(clock, moment(now))
            return [str(band), str(text)]
        if kind == "age":
            return ticket_age(SimpleNamespace(created_at=moment(at)), moment(now))
        return dateformat.time_format(moment(now).astimezone(ZoneInfo(zone)), "H:i")


def assert_same(cases: list[tuple]) -> None:
    for language in LANGUAGES:
        answers = in_browser(language, cases)
        for case, answer in zip(cases, answers, strict=True):
            assert answer == on_server(language, case), (language, case)


MINUTE = 60_000_000
DAY = 24 * 60 * MINUTE
instants = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
).map(epoch_us)
# The queue's "now" is on the minute (queue_views.queue); the browser's is too.
minutes = instants.map(lambda us: us - us % MINUTE)
offsets = st.one_of(
    st.integers(min_value=-3 * DAY, max_value=3 * DAY),
    st.integers(min_value=-800 * DAY, max_value=800 * DAY),
    st.sampled_from([0, 1, -1, MINUTE, MINUTE - 1, 60 * MINUTE, 60 * MINUTE + 1, DAY, DAY - 1]),
)
kinds = st.sampled_from(["sla", "age", "time"])
cases = st.lists(
    st.tuples(kinds, offsets, minutes, st.sampled_from(ZONES)).map(
        lambda c: (c[0], c[2] + c[1] if c[0] == "sla" else c[2] - c[1], c[2], c[3])
    ),
    min_size=1,
    max_size=80,
)


@hypothesis_settings(max_examples=25, deadline=None)
@given(cases)
def test_the_browser_texts_are_the_servers_for_any_instant(cases):
    assert_same(cases)


def _us(*args) -> int:
    return epoch_us(dt.datetime(*args, tzinfo=dt.UTC))


def test_the_calendar_edges_are_the_servers():
    """Month ends, leap days, the turn of a year, the exact SLA boundaries."""
    now = _us(2028, 3, 1, 0, 0)
    edges = [
        ("age", _us(2028, 2, 29, 23, 59, 30), now, "UTC"),
        ("age", _us(2028, 1, 31, 12, 0), now, "UTC"),
        ("age", _us(2027, 2, 28, 0, 0, 0, 1), now, "UTC"),
        ("age", _us(2027, 3, 1, 0, 0), now, "UTC"),
        ("age", _us(2026, 12, 31, 23, 59, 59, 999999), _us(2027, 1, 31, 23, 59), "UTC"),
        ("age", _us(2024, 1, 31, 10, 0), _us(2024, 2, 29, 10, 0), "UTC"),
        ("age", now + 5 * MINUTE, now, "UTC"),  # opened after "now": "0 minutes"
        ("sla", now, now, "UTC"),
        ("sla", now + 1, now, "UTC"),
        ("sla", now + 60 * MINUTE, now, "UTC"),
        ("sla", now + 60 * MINUTE + 1, now, "UTC"),
        ("sla", now - 2 * DAY - 3 * 60 * MINUTE, now, "UTC"),
        ("sla", now + DAY, now, "UTC"),
        ("time", 0, _us(2026, 3, 29, 0, 59), "Europe/Madrid"),  # the night the clocks go forward
        ("time", 0, _us(2026, 3, 29, 1, 0), "Europe/Madrid"),
    ]
    assert_same(edges)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_browser_plural_rule_is_the_languages(language):
    """The browser picks a plural message's first form for 1 and its second otherwise:
    that must be what ngettext gives for every count, and the age units must be Django's
    own timesince messages (same msgids, so the same translations)."""
    with translation.override(language):
        words = clock_words()
        for n in range(0, 1001):
            assert ngettext("%(days)d day", "%(days)d days", n) == words["days"][n != 1]
            for unit, (singular, plural) in AGE_UNITS.items():
                assert ngettext(singular, plural, n) == words["age"][unit][n != 1]
                assert TIME_STRINGS[unit] % {"num": n} == words["age"][unit][n != 1] % {"num": n}
