"""One real S3-compatible server for the session (tests/objectstore.py)."""

from tests.objectstore import object_store, s3_storage  # noqa: F401 - fixtures
