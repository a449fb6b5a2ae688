"""Red team: a store that refuses every conditional write (a proxy or an S3-compatible
store that answers 412 to `If-None-Match: *` whatever the name) must not hold a web
request or a worker in an endless loop of new names: a bounded number of tries, then the
clear outage error every caller already handles (a 503 saying why, nothing kept)."""

from unittest import mock

import pytest
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile

from profiledesk.storage import PrivateS3Storage, StorageUnavailable


def test_a_store_that_refuses_every_name_is_an_outage_not_an_endless_loop():
    calls = []

    def refuse(**kwargs):
        calls.append(kwargs["Key"])
        if len(calls) > 100:
            raise RuntimeError("still looping after 100 names")
        raise ClientError(
            {"Error": {"Code": "PreconditionFailed"}, "ResponseMetadata": {"HTTPStatusCode": 412}},
            "PutObject",
        )

    connection = mock.Mock()
    connection.meta.client.put_object.side_effect = refuse
    storage = PrivateS3Storage(bucket_name="desk", endpoint_url="http://127.0.0.1:1")
    with (
        mock.patch.object(PrivateS3Storage, "connection", new=connection),
        pytest.raises(StorageUnavailable),
    ):
        storage._save("tickets/2026/12/passport.png", ContentFile(b"x"))
    assert 1 < len(calls) <= 10
    assert len(set(calls)) == len(calls)  # each try another name
