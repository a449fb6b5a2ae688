"""Verification methods are plug-ins (issue 18): a method is a class in the registry, and
the wizard, the level, the evidence and the labels read it from there. The level rules of
the three built-in methods are the ones docs/design.md §4 has always had."""

import copy
import datetime as dt
from itertools import chain, combinations
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from profiledesk.approvals.rules import verification_snapshot
from profiledesk.dashboards.figures.verification import (
    method_label,
    method_order,
    verification_by_method,
)
from profiledesk.dashboards.models import DailyFigure, Metric
from profiledesk.dashboards.panels import Scope
from profiledesk.policies.categories import AssuranceLevel as AL
from tests.conftest import signed_in
from verification.methods import (
    Factor,
    Grant,
    VerificationMethod,
    helpful,
    level_of,
    method,
    methods,
    register,
    unregister,
)
from verification.models import Attempt, Method, Purpose, Result
from verification.selectors import panel_context
from verification.status import achieved_level, progress, relied_on, verification_missing

pytestmark = pytest.mark.django_db


@pytest.fixture
def voice(settings, tmp_path):
    """A method added the way a new one is: a class, `@register`, a panel template."""
    (tmp_path / "voice.html").write_text('<p data-testid="voice-panel">{{ m.label }}: call</p>')
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates

    @register
    class VoiceMatch(VerificationMethod):
        code = "voice"
        label = "Voice match"
        proves = "The caller's voice matches the customer's voiceprint."
        level = AL.AL2
        panel_template = "voice.html"

    try:
        yield VoiceMatch
    finally:
        unregister("voice")


def record_pass(ticket, method: str, *, at=None, staff=None, **detail) -> Attempt:
    """A pass as a plug-in records it: no agent (staff None), ids only in detail."""
    return Attempt.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        method=method,
        purpose=Purpose.IDENTITY,
        result=Result.PASSED,
        staff=staff,
        at=at or timezone.now(),
        detail=detail,
    )


# --- a new method is its class ------------------------------------------------------------


def test_a_registered_method_is_offered_in_the_wizard_and_counts_toward_the_level(
    ticket, agent, voice
):
    page = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference]))
    html = page.content.decode()
    assert '<p data-testid="voice-panel">Voice match: call</p>' in html
    assert "Voice match: not yet" in html
    assert "voice" in progress(ticket).methods_needed

    record_pass(ticket, "voice")

    assert achieved_level(ticket) == AL.AL2
    assert verification_missing(ticket) is None
    state = progress(ticket)
    assert state.passed == {"voice"} and state.valid_until is not None
    assert state.methods_needed == []  # AL2 is reached: nothing more is offered
    html = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference])).content
    assert "Voice match: passed" in html.decode()
    assert 'data-testid="voice-panel"' not in html.decode()


def test_a_method_without_a_panel_is_never_offered_to_an_agent(ticket, voice, monkeypatch):
    monkeypatch.setattr(voice, "panel_template", None)
    assert "voice" not in progress(ticket).methods_needed
    # Its passes count all the same (an assertion arrives with the request).
    record_pass(ticket, "voice")
    assert achieved_level(ticket) == AL.AL2


def test_the_method_is_named_by_the_registry_wherever_a_pass_is_shown(ticket, agent, voice):
    row = record_pass(ticket, "voice")
    assert row.get_method_display() == "Voice match"
    snapshot = verification_snapshot(ticket)
    assert snapshot["methods"][0]["label"] == "Voice match"
    assert "voice" in method_order() and method_label("voice") == "Voice match"
    trail = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference]))
    assert "Voice match · Passed" in trail.content.decode()


def test_the_dashboard_lists_every_registered_method_and_names_retired_ones(customer, voice):
    day = dt.date(2026, 1, 15)
    for key, result, count in (("otp_email", "passed", 3), ("retired", "failed", 1)):
        DailyFigure.objects.create(
            client=customer.client,
            day=day,
            metric=Metric.VERIFICATION,
            key1=key,
            key2=result,
            key3="identity",
            count=count,
            built_at=timezone.now(),
        )
    panel = verification_by_method(
        Scope(client_ids=(customer.client_id,), since=day, until=day, zone=ZoneInfo("UTC"))
    )
    labels = [row[0] for row in panel.rows]
    # The built-in methods first, every other registered one after them (other apps
    # register theirs too), and last a code no method answers to any more.
    assert labels[:4] == [
        "Code by e-mail",
        "Code by SMS",
        "Security questions",
        "Identity document",
    ]
    assert labels[-1] == "retired"
    voice_row = panel.rows[labels.index("Voice match")]  # registered, never used
    assert voice_row[1:4] == (0, 0, 0)
    assert set(labels[4:-1]) >= {"Voice match"}


def test_a_pass_of_a_method_no_longer_registered_counts_for_nothing_but_stays_readable(ticket):
    row = record_pass(ticket, "retired")
    assert achieved_level(ticket) == 0
    assert row.get_method_display() == "retired"
    assert method_label("retired") == "retired"


def test_a_code_is_unique_and_fits_the_column():
    class Clash(VerificationMethod):
        code = Method.OTP
        label = "Another code"
        proves = "-"

    class TooLong(VerificationMethod):
        code = "x" * 11
        label = "Too long"
        proves = "-"

    with pytest.raises(ValueError, match="registered twice"):
        register(Clash)
    with pytest.raises(ValueError, match="too long"):
        register(TooLong)
    assert [m.code for m in methods()][:3] == [Method.OTP, Method.QUESTIONS, Method.DOCUMENT]


# --- the built-in methods: the rules of docs/design.md §4 unchanged ------------------------


def test_a_pass_without_an_agent_counts_the_same_as_one_with(ticket, agent):
    record_pass(ticket, Method.QUESTIONS)
    assert achieved_level(ticket) == AL.AL1
    record_pass(ticket, Method.OTP, staff=agent, to="g•••@example.com")
    assert achieved_level(ticket) == AL.AL2
    verification = panel_context(ticket, agent)["verification"]
    assert verification["progress"].verified


@pytest.mark.parametrize("target", [AL.AL1, AL.AL2, AL.AL3])
@pytest.mark.parametrize(
    "passed",
    [
        set(s)
        for s in chain.from_iterable(
            combinations(["otp", "questions", "document"], n) for n in range(4)
        )
    ],
)
def test_the_wizard_offers_what_it_always_offered(target, passed):
    """The rule before the registry, kept as the specification of the three methods."""
    expected = []
    if target >= AL.AL2:
        expected = [m for m in ("otp", "questions") if m not in passed]
    elif not passed & {"otp", "questions"}:
        expected = ["otp", "questions"]
    if target >= AL.AL3 and "document" not in passed:
        expected.append("document")
    builtin = [m for m in methods() if m.code in {"otp", "questions", "document"}]
    have = [m.expected_grant() for m in builtin if m.code in passed]
    offered = [m for m in builtin if m.code not in passed]
    assert [m.code for m in helpful(offered, have=have, target=target)] == expected


def test_the_level_rests_on_the_newest_passes_it_needs(ticket, clock):
    record_pass(ticket, Method.OTP)
    clock.shift(dt.timedelta(minutes=5))
    record_pass(ticket, Method.QUESTIONS)
    clock.shift(dt.timedelta(minutes=5))
    record_pass(ticket, Method.OTP)
    clock.shift(dt.timedelta(minutes=5))
    record_pass(ticket, Method.DOCUMENT, type="passport")
    state = progress(ticket)
    # AL2 (a contact change): the questions 10 minutes ago are the oldest pass it needs;
    # the first code is replaced by the second, the document adds nothing below AL3.
    assert state.achieved == AL.AL3
    assert state.valid_until == timezone.now() - dt.timedelta(minutes=10) + dt.timedelta(minutes=30)


# --- level_of, for every set of grants ----------------------------------------------------

grants = st.builds(
    Grant,
    factors=st.frozensets(st.sampled_from(list(Factor))),
    level=st.integers(min_value=0, max_value=3),
)


@given(st.lists(grants), st.lists(grants))
def test_adding_grants_never_lowers_the_level(some, more):
    assert level_of(some) <= level_of(some + more)
    assert level_of(some) >= max((g.level for g in some), default=0)


@given(st.lists(grants.map(lambda g: Grant(factors=g.factors))))
def test_al3_by_factors_needs_all_three_factors(some):
    factors = set().union(*(g.factors for g in some))
    assert (level_of(some) == AL.AL3) == (factors == set(Factor))
    assert (level_of(some) >= AL.AL2) == ({Factor.KNOWLEDGE, Factor.POSSESSION} <= factors)


@given(st.lists(grants, max_size=5), st.lists(grants, max_size=3), st.integers(1, 3))
def test_the_methods_offered_reach_the_target_when_any_could(offer, have, target):
    pool = [
        type(
            f"M{i}",
            (VerificationMethod,),
            {"code": f"m{i}", "factors": g.factors, "level": g.level},
        )()
        for i, g in enumerate(offer)
    ]
    reachable = min(target, level_of([*have, *offer]))
    chosen = helpful(pool, have=have, target=target)
    if level_of(have) >= reachable:
        assert chosen == []
    else:
        assert level_of([*have, *(m.expected_grant() for m in chosen)]) >= reachable


minutes = st.lists(
    st.tuples(st.sampled_from([Method.OTP, Method.QUESTIONS, Method.DOCUMENT]), st.integers(0, 60)),
    max_size=8,
)


@given(minutes)
def test_the_level_is_valid_until_the_first_expiry_that_lowers_it(passes):
    """`relied_on` against the clock: drop the passes as they expire, oldest first; the
    verification is valid until the first expiry after which the level is lower."""
    start = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
    rows = [
        Attempt(id=i + 1, method=code, at=start + dt.timedelta(minutes=m))
        for i, (code, m) in enumerate(passes)
    ]
    level = level_of(methods_grant(rows))
    relied = relied_on(rows, level)
    if not level:
        assert relied == []
        return
    assert level_of(methods_grant(relied)) == level
    for row in relied:  # each one it rests on is needed
        assert level_of(methods_grant([r for r in relied if r is not row])) < level
    ordered = sorted(rows, key=lambda r: (r.at, r.id))
    first_drop = next(
        k for k in range(len(ordered)) if level_of(methods_grant(ordered[k + 1 :])) < level
    )
    assert min(r.at for r in relied) == ordered[first_drop].at


def methods_grant(rows):
    return [method(r.method).grant(r) for r in rows]
