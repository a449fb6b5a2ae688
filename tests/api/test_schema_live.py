"""schemathesis against a live desk: every operation of /api/schema/, with valid and with
invalid data, must never answer 5xx and always answer as the schema says (status codes,
content types, headers, bodies), refuse data the schema forbids, and enforce its auth.

Bounded: EXAMPLES cases per operation and mode, so the run takes seconds. A failure prints
the request that broke the API (with a curl command to replay it).
"""

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig

from profiledesk.api.keys import api_key_create
from profiledesk.api.views import IDEMPOTENCY_HEADER
from profiledesk.customers.models import Preferences
from profiledesk.intake.forms import PreferencesForm
from tests.factories import complete_customer

EXAMPLES = 60
# Every check schemathesis has (the Python API's `--checks all`): the registry, loaded.
load_all_checks()
CHECKS = REGISTRY.get_all()
# positive_data_acceptance: schema-valid data may still break a business rule the schema
# cannot state (a customer number that is not the client's, a value the profile already
# holds, an empty change set), which is a 400 with a reason; every other check as shipped.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
            }
        }
    }
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_api(live_server, northwind):
    """(schema, Bearer headers) of a desk served on a real socket."""
    complete_customer(northwind)
    _, raw = api_key_create(client=northwind, name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", config=CONFIG
    )
    return schema, headers, live_server.url


def _operations(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == {
        ("POST", "/api/v1/change-requests/"),
        ("GET", "/api/v1/change-requests/{reference}/"),
        ("GET", "/api/v1/events/{fetch_id}/"),
    }
    return operations


def _change_request_operations(schema):
    """(create, status): the change-request operations, by path."""
    by_path = {op.path: op for op in _operations(schema)}
    return by_path["/api/v1/change-requests/"], by_path["/api/v1/change-requests/{reference}/"]


def _unique_key(case):
    """Hypothesis may generate one valid Idempotency-Key ("0") for two different bodies, and
    the desk rightly answers 422 to the second. Each generated key is kept, behind a prefix
    unique to the case, so the key's characters are still fuzzed but never reused."""
    generated = case.headers.get(IDEMPOTENCY_HEADER) if case.headers else None
    if generated is not None:
        case.headers[IDEMPOTENCY_HEADER] = f"{uuid.uuid4().hex}{generated}"[:255]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_its_schema_says(live_api, mode):
    schema, headers, base_url = live_api
    for operation in _operations(schema):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            if mode is GenerationMode.POSITIVE:
                _unique_key(case)
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

        run()


def test_a_real_request_and_its_status_match_the_schema(live_api, northwind):
    schema, headers, base_url = live_api
    customer = northwind.customers.get()
    create, status = _change_request_operations(schema)
    case = create.Case(
        headers={"Idempotency-Key": "live-1"},
        body={
            "customer": customer.number,
            "category": "billing",
            "changes": {
                "card_number": "4111111111111111",
                "card_exp_month": 1,
                "card_exp_year": 2099,
                "card_holder_name": "Grace Hopper",
            },
        },
        media_type="application/json",
    )
    created = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
    assert created.status_code == 201
    reference = created.json()["reference"]
    retried = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
    assert retried.status_code == 200
    read = status.Case(path_parameters={"reference": reference})
    response = read.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
    assert response.json()["reference"] == reference


def test_valid_requests_open_tickets_and_every_answer_matches_the_schema(live_api, northwind):
    """Random bodies seldom pass the business rules (a real customer number, fields of the
    chosen category): here hypothesis makes valid ones, so 201 and 200 are fuzzed too."""
    schema, headers, base_url = live_api
    known = northwind.customers.get()
    number, current = known.number, known.preferences
    create, status = _change_request_operations(schema)
    preferences = sorted(PreferencesForm.names)
    defaults = {name: Preferences._meta.get_field(name).default for name in preferences}
    channels = ("confirm_by_email", "confirm_by_sms", "confirm_in_app")

    @given(
        changes=st.dictionaries(st.sampled_from(preferences), st.booleans(), min_size=1),
        customer=st.sampled_from([None, number]),
        channel=st.sampled_from(["api", "app", "web"]),
        retry=st.booleans(),
    )
    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(changes, customer, channel, retry):
        key = uuid.uuid4()  # hypothesis replays its own values: a reused key would be a 422
        body = {
            "customer": customer,
            "channel": channel,
            "category": "preferences",
            "changes": changes,
        }
        case = create.Case(
            headers={"Idempotency-Key": str(key)}, body=body, media_type="application/json"
        )
        response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
        # The desk's rule: a toggle left out keeps its value (with no customer, the default),
        # and at least one way to confirm must remain.
        before = defaults if customer is None else {k: getattr(current, k) for k in defaults}
        if not any(changes.get(name, before[name]) for name in channels):
            assert response.status_code == 400
            assert "one way to confirm" in str(response.json()["changes"])
            return
        # A value the customer already has is no change; with no customer, all are new.
        changed = customer is None or any(getattr(current, k) != v for k, v in changes.items())
        if not changed:
            assert response.status_code == 400
            assert "Nothing to change" in str(response.json()["changes"])
            return
        assert response.status_code == 201
        if retry:
            again = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
            assert again.json()["reference"] == response.json()["reference"]
        read = status.Case(path_parameters={"reference": response.json()["reference"]})
        read.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    run()


def test_a_thin_events_fetch_and_its_replay_match_the_schema(live_api, northwind):
    from profiledesk.connectors.models import Mode
    from profiledesk.connectors.services import deliveries_create
    from tests.connectors.helpers import EVENT, connector_for, mark_applied
    from tests.factories import TicketFactory

    schema, headers, base_url = live_api
    ticket = TicketFactory(customer=northwind.customers.get(), category="contact")
    mark_applied(ticket)
    connector_for(northwind, url="https://crm.example/hook", mode=Mode.THIN)
    [change] = EVENT["changes"]
    event = {
        **EVENT,
        "applied_at": "2026-03-04T10:00:00+00:00",
        "commands": [],
        "changes": [{**change, "label": "E-mail address"}],
    }
    [delivery] = deliveries_create(ticket=ticket, event=event)
    fetch = {op.path: op for op in _operations(schema)}["/api/v1/events/{fetch_id}/"]
    case = fetch.Case(path_parameters={"fetch_id": str(delivery.fetch_id)})
    first = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
    assert first.status_code == 200 and first.json()["data"]["changes"][0]["new"]
    again = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
    assert again.status_code == 410
