"""Fixtures for the accounts tests: object storage on loopback (moto's S3 server) and a bucket on it."""

from collections.abc import Iterator

import pytest

from testkit.s3 import Bucket, S3Server


@pytest.fixture
def s3_server() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture
def bucket(settings, s3_server: S3Server) -> Bucket:
    """A fresh private bucket, made the site's default storage exactly as DJANGO_STORAGE=s3 configures it."""
    bucket = Bucket(s3_server)
    settings.STORAGES = {**settings.STORAGES, "default": bucket.storage(settings.S3_OPTIONS)}
    return bucket
