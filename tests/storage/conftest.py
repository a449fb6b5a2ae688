"""One real S3-compatible server for the session (tests/objectstore.py), and the signed
inbound webhook's secret (tests/inbound)."""

from tests.inbound.conftest import inbound_secret  # noqa: F401 - fixture
from tests.objectstore import object_store, s3_storage  # noqa: F401 - fixtures
