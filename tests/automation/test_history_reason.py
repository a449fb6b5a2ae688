"""What the profile's history says instead of a staff member, whatever a client named its
key and whatever id its evidence carries: it fits simple-history's 100 characters, names
the machine, and ends "<reference> applied" (verification.status reads that ending to tell
a contact a ticket added from one that came with the customer)."""

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from profiledesk.automation.services import evidence_short, history_reason

text = st.text(min_size=0, max_size=300)


@given(
    key_name=text,
    ids=st.lists(text, min_size=1, max_size=4),
    reference=st.from_regex(r"PD-\d{6,9}", fullmatch=True),
)
def test_the_history_reason_fits_names_the_machine_and_ends_applied(key_name, ids, reference):
    passes = [
        SimpleNamespace(pk=n, method="assertion", detail={"jti": value})
        for n, value in enumerate(ids, 1)
    ]
    reason = history_reason(
        ticket=SimpleNamespace(reference=reference), key_name=key_name, passes=passes
    )
    assert len(reason) <= 100
    assert reason.startswith("automatic (API key ")
    assert reason.endswith(f"): {reference} applied")


def test_the_evidence_is_named_by_its_short_id_or_the_pass():
    jti = SimpleNamespace(pk=7, method="assertion", detail={"jti": "1f3a9c2e77aa4b0c9d"})
    session = SimpleNamespace(pk=8, method="provider", detail={"session": "sess_42"})
    bare = SimpleNamespace(pk=9, method="provider", detail={})
    assert evidence_short(jti) == "assertion 1f3a9c2e77aa"
    assert evidence_short(session) == "provider sess_42"
    assert evidence_short(bare) == "provider #9"
