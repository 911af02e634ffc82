"""Keys for encryption at rest, derived from SECRET_KEY: one key per purpose, and SECRET_KEY_FALLBACKS still open.

Fernet (AES-128-CBC with an HMAC-SHA256 over it) under a key derived with HKDF from ``SECRET_KEY`` and a purpose, so
that no two uses of the site's secret share a key. The keys of ``SECRET_KEY_FALLBACKS`` decrypt but never encrypt:
rotating ``SECRET_KEY`` as Django describes keeps everything stored under the old key readable until it is retired.
"""

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def derived_key(secret_key: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def key_ring(purpose: bytes) -> MultiFernet:
    """The key of ``purpose`` under SECRET_KEY first (it encrypts), then under each fallback (they only decrypt)."""
    return MultiFernet([derived_key(key, purpose) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]])
