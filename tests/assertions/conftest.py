"""A Northwind app with its signing key registered, and the API's fixtures."""

import pytest

from tests.api.conftest import api, northwind_key  # noqa: F401  (the API's fixtures)
from tests.assertions.keys import AppSigner


@pytest.fixture
def app(northwind) -> AppSigner:
    return AppSigner(northwind)
