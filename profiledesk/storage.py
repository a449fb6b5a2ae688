"""The object store that holds private files when the desk runs on several machines.

Production settings (`S3_*`, settings/base.py) make `PrivateS3Storage` the default
storage: every identity document, avatar, inbound attachment and export goes to one
S3-compatible bucket that every web node and worker shares. What it adds to
django-storages' `S3Storage`, and why:

- **Private, always.** No ACL is sent (the bucket's own: private; buckets with ACLs
  disabled refuse any other), names are never reused (`file_overwrite=False`) and
  `url()` refuses: a private file leaves the store only through the desk's views, after
  their access check and audit event, streamed by the web node (not a presigned URL —
  the browser never talks to the store, so a secure floor's network needs no route to
  it, and the desk keeps typing what it serves by its bytes: `files.private_file_response`).
- **Encrypted at rest, asked every time.** `ServerSideEncryption` (AES256, or aws:kms
  with a key) on every write, so an object never depends on the bucket's default.
- **An outage is a clear error, fast.** Short timeouts and two tries; any failure to
  reach the store is raised as `StorageUnavailable` — an `OSError`, as a full disk is
  for the local storage — so callers that already clean up after OSError do so here too,
  and `StorageUnavailableMiddleware` answers a 503 saying why instead of a traceback. A
  missing object is `FileNotFoundError`, as on disk.
- **Read before answering.** `open()` fetches the object at once (into memory, or a
  temporary file past `max_memory_size`), so a view learns of an outage before it starts
  a response, never halfway through a download.
"""

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from storages.backends.s3 import S3Storage
from storages.utils import clean_name, is_seekable

logger = logging.getLogger(__name__)

T = TypeVar("T")

# New names tried when the store says a name is taken (If-None-Match) before giving up.
NAME_TRIES = 5
# Past this many bytes a file read from the store waits in a temporary file, not memory.
READ_MEMORY_BYTES = 10 * 1024 * 1024


class StorageUnavailable(OSError):
    """The private file store could not be reached or refused to work (not a missing file)."""


class _NameTaken(Exception):
    pass


@contextlib.contextmanager
def _translated_errors(name: str = "", *, taken_ok: bool = False) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            raise FileNotFoundError(name) from error
        if status == 412 and taken_ok:
            raise _NameTaken(name) from error
        # No object name in the message: a name may hold a customer's (an attachment's).
        raise StorageUnavailable(f"the file store refused ({status})") from error
    except BotoCoreError as error:  # no connection, a timeout, a broken reply
        raise StorageUnavailable(
            f"the file store cannot be reached ({type(error).__name__})"
        ) from error


def _translated(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(self: "PrivateS3Storage", name: str, *args: Any, **kwargs: Any) -> T:
        with _translated_errors(name):
            return method(self, name, *args, **kwargs)

    return wrapper


class PrivateS3Storage(S3Storage):
    def __init__(
        self,
        *,
        sse: str = "AES256",
        sse_kms_key_id: str = "",
        timeout: float = 5.0,
        **settings: Any,
    ) -> None:
        encryption = {"ServerSideEncryption": sse}
        if sse == "aws:kms" and sse_kms_key_id:
            encryption["SSEKMSKeyId"] = sse_kms_key_id
        custom_endpoint = bool(settings.get("endpoint_url"))
        settings.update(
            default_acl=None,
            file_overwrite=False,
            querystring_auth=True,
            querystring_expire=60,
            object_parameters=encryption,
            max_memory_size=READ_MEMORY_BYTES,
            # A store of its own (MinIO, Ceph) is reached by path, not by a DNS name per
            # bucket; AWS itself keeps botocore's choice.
            addressing_style="path" if custom_endpoint else settings.get("addressing_style"),
            client_config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 2, "mode": "standard"},
                # Checksums only where S3 needs them: stores other than AWS refuse some.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        super().__init__(**settings)

    def _open(self, name: str, mode: str = "rb") -> Any:
        with _translated_errors(name):
            opened = super()._open(name, mode)
            if "r" in mode:
                opened.file  # noqa: B018 - fetch now: an outage here, not mid-response
            return opened

    def _save(self, name: str, content: Any) -> str:
        """Write a new object, never over another: `If-None-Match: *` makes the store
        refuse a name taken since `get_available_name` looked (two e-mails attaching
        "passport.png" at once), and the file gets another name, as on disk (O_EXCL)."""
        name = clean_name(name)
        for _try in range(NAME_TRIES):
            key = self._normalize_name(name)
            params = self._get_write_parameters(key, content)
            if is_seekable(content):
                content.seek(0, os.SEEK_SET)
            try:
                with _translated_errors(name, taken_ok=True):
                    self.connection.meta.client.put_object(
                        Bucket=self.bucket_name, Key=key, Body=content, IfNoneMatch="*", **params
                    )
                return name
            except _NameTaken:
                root, ext = os.path.splitext(name)
                name = self.get_alternative_name(root, ext)
        # Every name refused: a store (or a proxy) answering 412 to any conditional write,
        # not a race. An outage to the callers, never an endless loop holding a worker.
        raise StorageUnavailable(f"the file store refused {NAME_TRIES} new names (412)")

    delete = _translated(S3Storage.delete)
    exists = _translated(S3Storage.exists)
    listdir = _translated(S3Storage.listdir)
    size = _translated(S3Storage.size)
    get_modified_time = _translated(S3Storage.get_modified_time)

    def url(
        self, name: str | None, parameters: Any = None, expire: Any = None, http_method: Any = None
    ) -> str:
        raise NotImplementedError(
            "Private files have no URL: serve them through the desk's audited views."
        )


class StorageUnavailableMiddleware:
    """A request that met an outage of the file store gets a 503 that says so (JSON for
    the API and webhooks, whose callers retry a 503), never a traceback. What the request
    wrote is already undone: the services write the file inside their transaction and
    delete it when that fails (profiledesk.files deleted_on_failure)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StorageUnavailable):
            return None
        logger.error("File store unavailable during %s (%s)", request.path[:200], exception)
        reason = _(
            "The file store cannot be reached just now, so nothing was saved or shown. "
            "Try again in a minute; if it keeps happening, tell your supervisor."
        )
        if not request.accepts("text/html") or request.path.startswith(("/api/", "/inbound/")):
            response: HttpResponse = JsonResponse({"detail": str(reason)}, status=503)
        else:
            response = render(request, "503_storage.html", {"reason": reason}, status=503)
        response["Retry-After"] = "60"
        return response
