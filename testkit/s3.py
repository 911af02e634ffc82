"""Object storage for tests: moto's S3 as a real HTTP server on loopback, and buckets on it.

The server can be stopped mid-test (connections are then refused, as from a storage outage) and started
again on the same port; moto keeps its buckets in this process, so they survive the outage. It can also be held:
requests are received but answered only once the hold ends, as a slow object store answers.
"""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from .network import free_port
from .services import Service

CREDENTIALS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret", "region_name": "us-east-1"}


class S3Server(Service):
    """``with S3Server() as s3:`` serves S3 at ``s3.url``; ``stop()`` and ``start()`` simulate an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._answering = threading.Event()
        self._answering.set()
        self.held_requests = 0  # requests that arrived while held

    def _app(self, environ: dict, start_response: Any) -> Any:
        if not self._answering.is_set():
            self.held_requests += 1
            self._answering.wait()
        return self._backend(environ, start_response)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Inside the block, requests arrive (``held_requests`` counts them) but wait for their answer until it ends."""
        self.held_requests = 0
        self._answering.clear()
        try:
            yield
        finally:
            self._answering.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._backend = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", self.port, self._app, threaded=True)
        # A short poll interval: stop() waits for the serving loop to notice, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and close the listening socket: from now on, connections are refused."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None


class Bucket:
    """A fresh private bucket on ``server``, and the site's default storage pointed at it."""

    def __init__(self, server: S3Server) -> None:
        self.name = f"cvs-{uuid.uuid4().hex[:12]}"
        self.endpoint = server.url
        self.client = boto3.client("s3", endpoint_url=server.url, **CREDENTIALS)
        self.client.create_bucket(Bucket=self.name)

    def storage(self, options: dict[str, Any]) -> dict[str, Any]:
        """A ``STORAGES["default"]`` entry for this bucket, with the site's ``S3_OPTIONS`` as ``options``."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **options,
                "bucket_name": self.name,
                "endpoint_url": self.endpoint,
                "region_name": CREDENTIALS["region_name"],
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
            },
        }

    def keys(self) -> list[str]:
        return sorted(item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", []))

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)
