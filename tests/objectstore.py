"""A real S3-compatible server on 127.0.0.1 for tests: moto in server mode (moto[server],
requirements.txt), in its own process, on a free port.

    with s3_server() as store:              # any script: starts it, stops it at the end
        env = store.env                     # S3_BUCKET, S3_ENDPOINT_URL, S3_REGION,
        ...                                 # S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
        subprocess.Popen(["gunicorn", ...], env={**os.environ, **env})

In pytest: the session fixture `object_store` (one server for the whole run) and the
function fixture `s3_storage`, which points the default storage at it under a prefix of
the test's own (objects of one test never meet another's: `store.prefix`) and yields
the `ObjectStore`.
A test module imports them: `from tests.objectstore import object_store, s3_storage`.
A shell script: `python -m tests.objectstore > env.sh &` prints the five `export S3_…=…`
lines once the bucket exists and runs until SIGTERM (source env.sh when it has 5 lines).

The server keeps its objects in memory: stopping it loses them. `ObjectStore.client()`
is a boto3 client to look behind the desk's back (head_object, list_objects_v2);
`closed_port_env()` is the same settings pointed at a port where nothing listens (an
outage).
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import boto3
import pytest
import requests

BUCKET = "profiledesk-private"
REGION = "eu-west-1"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ObjectStore:
    endpoint: str
    bucket: str = BUCKET
    region: str = REGION
    access_key: str = "profiledesk-test"
    secret_key: str = "profiledesk-test-secret"
    process: subprocess.Popen | None = field(default=None, repr=False)
    prefix: str = ""  # the current test's folder in the bucket (the s3_storage fixture)

    @property
    def env(self) -> dict[str, str]:
        """What production settings read (settings/base.py `private_storage`)."""
        return {
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": self.region,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
        }

    def closed_port_env(self) -> dict[str, str]:
        return {**self.env, "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def keys(self, prefix: str = "") -> list[str]:
        pages = (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def s3_server(bucket: str = BUCKET) -> Iterator[ObjectStore]:
    """Start moto's S3 server on a free port, create `bucket`, yield; stop it after."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    store = ObjectStore(endpoint=f"http://127.0.0.1:{port}", bucket=bucket, process=process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto server did not start: {process.stderr.read()[-2000:]!r}")
            try:
                requests.get(f"{store.endpoint}/moto-api/", timeout=0.5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto server did not answer in time") from None
                time.sleep(0.05)
        store.client().create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": store.region}
        )
        yield store
    finally:
        store.stop()


def storage_settings(env: dict[str, str], prefix: str = "") -> dict:
    """The default storage settings/base.py builds from `env` (plus S3_PREFIX)."""
    from profiledesk.settings.base import private_storage

    saved = {name: os.environ.get(name) for name in [*env, "S3_PREFIX"]}
    os.environ.update({**env, "S3_PREFIX": prefix})
    try:
        return private_storage()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def object_store() -> Iterator[ObjectStore]:
    with s3_server() as store:
        yield store


@pytest.fixture
def s3_storage(object_store: ObjectStore, settings) -> ObjectStore:
    """The default storage is the object store, under a prefix of this test's own
    (`store.prefix`)."""
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_settings(object_store.env, prefix),
    }
    object_store.prefix = prefix
    return object_store


def main() -> None:
    """`python -m tests.objectstore`: start a server, print its settings as `export`
    lines (for a shell script: `eval "$(head -5 <fifo>)"` or read them from a file), and
    keep it running until SIGTERM or SIGINT."""
    import signal

    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with s3_server() as store:
        for name, value in store.env.items():
            sys.stdout.write(f"export {name}={value}\n")
        sys.stdout.flush()
        while not stopping and store.process is not None and store.process.poll() is None:
            time.sleep(0.2)


if __name__ == "__main__":
    main()
