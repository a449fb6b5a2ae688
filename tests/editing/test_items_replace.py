"""tickets.items.items_replace, for any before and after: the ticket's items become the
drafts exactly, in order; an item asked for again keeps its row; "nothing changed" is
said exactly when the same values are asked for (a mere reorder is no change: the edit
service then refuses and rolls back)."""

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.tickets.items import items_replace
from profiledesk.tickets.models import ChangeItem
from profiledesk.tickets.services import ItemDraft, ticket_create

FIELDS = ["organisation.business_name", "organisation.job_title", "organisation.department"]

drafts = st.lists(
    st.builds(
        lambda field, value: ItemDraft(
            section="organisation", field=field, label=field, new_value=value, new_display=value
        ),
        st.sampled_from(FIELDS),
        # What a form lets through: Django's CharField refuses NUL (PostgreSQL would too).
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1,
            max_size=12,
        ),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda draft: draft.field,  # a form asks for each field once
)


def _rows(ticket) -> list[tuple]:
    return list(
        ChangeItem.objects.filter(ticket=ticket)
        .order_by("position", "id")
        .values_list("section", "field", "target_id", "new_value", "position")
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=drafts, after=drafts)
def test_the_items_become_the_drafts_and_a_change_is_reported_iff_a_value_changed(
    customer, agent, before, after
):
    with transaction.atomic():
        ticket = ticket_create(
            client=customer.client,
            customer=customer,
            by=agent,
            channel="phone",
            category="organisation",
            items=before,
        )
        kept = dict(ChangeItem.objects.filter(ticket=ticket).values_list("field", "pk"))
        asked = {(d.field, d.new_value) for d in before}
        changes = items_replace(ticket=ticket, drafts=after, by=agent)
        assert _rows(ticket) == [
            ("organisation", d.field, None, d.new_value, i) for i, d in enumerate(after)
        ]
        assert (changes == []) == (asked == {(d.field, d.new_value) for d in after})
        for field, pk in ChangeItem.objects.filter(ticket=ticket).values_list("field", "pk"):
            if field in kept:
                assert pk == kept[field]
        transaction.set_rollback(True)
