"""A page's clock texts, worked out once for what decides them (queue_clock.ClockTexts),
are the texts `sla_status` and `ticket_age` give each row — whatever the instants, in
every language, however many rows share a text."""

import datetime as dt
from types import SimpleNamespace

from django.conf import settings
from django.utils import translation
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from profiledesk.policies.sla import sla_status
from profiledesk.tickets.queue_clock import ClockTexts
from profiledesk.tickets.selectors import ticket_age

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
offsets = st.one_of(
    st.integers(min_value=-3 * 86_400_000_000, max_value=3 * 86_400_000_000),
    st.integers(min_value=-60 * 86_400_000_000, max_value=60 * 86_400_000_000),
    st.sampled_from([0, 1, -1, 59_999_999, 60_000_000, 3_600_000_000, 3_600_000_001]),
)
# (due, paused, created) as offsets from "now" in µs: the SLA's edges are around now.
rows = st.lists(st.tuples(offsets, st.one_of(st.none(), offsets), offsets), min_size=1, max_size=60)


def at(now, us):
    return now + dt.timedelta(microseconds=us)


# The edges side by side: an hour left exactly (due soon) and a microsecond more (on time),
# both "1 h"; due now (breached) and a microsecond later (due in less than a minute).
@example(rows=[(3_600_000_000, None, 0), (3_600_000_001, None, 0)], now_shift=0, language="en")
@example(rows=[(0, None, 1), (1, None, 59_999_999)], now_shift=0, language="en")
@hypothesis_settings(max_examples=60, deadline=None)
@given(
    rows=rows,
    now_shift=st.integers(min_value=0, max_value=10**6),
    language=st.sampled_from([code for code, _name in settings.LANGUAGES]),
)
def test_a_pages_texts_are_each_rows_own(rows, now_shift, language):
    now = NOW + dt.timedelta(minutes=now_shift)
    with translation.override(language):
        texts = ClockTexts(now)
        for due_us, paused_us, created_us in rows * 2:  # twice: the second from the memo
            due, created = at(now, due_us), at(now, -created_us)
            paused = None if paused_us is None else at(now, paused_us)
            band, text = sla_status(SimpleNamespace(sla_due_at=due, sla_paused_at=paused), now)
            assert texts.sla(due, paused) == (str(band), str(text))
            assert texts.age(created) == ticket_age(SimpleNamespace(created_at=created), now)
