"""The queue rows' date titles (tickets/queue_rows.py `DateTitles`, issue 20) reuse a page's
month names and times instead of formatting each date from scratch: they must print what
Django's date formatting prints, in every language and time zone the desk uses, whatever
order the dates of a page come in."""

import datetime as dt
import zoneinfo

from django.utils import dateformat, formats, timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from profiledesk.tickets.queue_rows import DateTitles

ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
# Each language's DATETIME_FORMAT, and one with every character Django knows.
EVERY_CHARACTER = (
    r"a A b c d D e E f F g G h H i I j l L m M n N o O P r s S t T U u w W y Y z Z \d\e"
)

# Hypothesis takes naive bounds and makes the moments aware in `timezones`.
moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2999, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
# Pages hold dates close together (the same days, the same hours) and far apart.
near = st.builds(
    lambda start, minutes: [start + dt.timedelta(minutes=m) for m in minutes],
    moments,
    st.lists(st.integers(min_value=-3000, max_value=3000), min_size=1, max_size=30),
)


@settings(max_examples=80, deadline=None)
@given(
    page=st.one_of(near, st.lists(moments, min_size=1, max_size=20)),
    language=st.sampled_from(["en", "es"]),
    zone=st.sampled_from(ZONES),
    every=st.booleans(),
)
def test_a_page_of_titles_reads_as_djangos_date_format(page, language, zone, every):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        fmt = EVERY_CHARACTER if every else str(formats.get_format("DATETIME_FORMAT"))
        titles = DateTitles(fmt)
        for moment in page:
            local = timezone.localtime(moment)
            assert titles(local) == dateformat.format(local, fmt)


def test_midnight_noon_and_the_afternoon_in_english():
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo("UTC")):
        titles = DateTitles(str(formats.get_format("DATETIME_FORMAT")))
        day = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
        assert titles(day) == "March 2, 2026, midnight"
        assert titles(day.replace(hour=12)) == "March 2, 2026, noon"
        assert titles(day.replace(hour=15, minute=5)) == "March 2, 2026, 3:05 p.m."
