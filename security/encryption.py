"""Encryption at rest of the secrets allauth.mfa stores: authenticator-app (TOTP) secrets and recovery-code seeds.

Whoever reads the database (a backup, a replica, an admin page showing the row) must not be able to compute a
person's codes. Each secret is a Fernet token (AES-128-CBC with an HMAC-SHA256 over it) under a key derived from
SECRET_KEY for this purpose alone (``mail.encryption``); the keys in SECRET_KEY_FALLBACKS still decrypt, so rotating
SECRET_KEY as Django describes keeps two-factor working, and ``manage.py reencrypt_mfa_secrets`` moves every stored
secret to the new key before the old one is dropped.
"""

from allauth.mfa.models import Authenticator
from cryptography.fernet import InvalidToken, MultiFernet
from django.db import transaction

from mail.encryption import key_ring

# Binds the derived key to this one use: no other part of the site derives the same key from SECRET_KEY. (The name
# predates the move from accounts to security; changing it would make every stored secret unreadable.)
KEY_PURPOSE = b"accounts.encryption: allauth.mfa secrets"


class UndecryptableSecret(Exception):
    """A stored secret that no configured key opens: SECRET_KEY was replaced without the old one in the fallbacks."""


def secret_keys() -> MultiFernet:
    """SECRET_KEY's key first (it encrypts), then each fallback's (they only decrypt)."""
    return key_ring(KEY_PURPOSE)


def encrypt_secret(text: str) -> str:
    return secret_keys().encrypt(text.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    try:
        return secret_keys().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret(
            "A two-factor secret could not be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS: put the key it "
            "was stored with back into DJANGO_SECRET_KEY_FALLBACKS."
        ) from None


def reencrypt_secret(token: str) -> str:
    """The same secret under SECRET_KEY's key, whichever configured key it was stored with."""
    try:
        return secret_keys().rotate(token.encode()).decode("ascii")
    except InvalidToken:
        raise UndecryptableSecret(
            "A two-factor secret could not be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS."
        ) from None


# Where allauth.mfa keeps what it passed through the adapter's encrypt(): per authenticator type, the keys of its
# ``data`` holding one token or a list of them. WebAuthn rows hold public keys only.
ENCRYPTED_DATA = {"totp": ("secret",), "recovery_codes": ("seed", "migrated_codes")}


def reencrypt_stored_secrets() -> int:
    """Put every stored two-factor secret under SECRET_KEY's key; return how many authenticators were rewritten.

    Each row is locked while it is rewritten, so a recovery code used meanwhile is neither lost nor reused.
    """
    rewritten = 0
    for pk in Authenticator.objects.filter(type__in=ENCRYPTED_DATA).values_list("pk", flat=True):
        with transaction.atomic():
            authenticator = Authenticator.objects.select_for_update().get(pk=pk)
            for key in ENCRYPTED_DATA[authenticator.type]:
                value = authenticator.data.get(key)
                if isinstance(value, str):
                    authenticator.data[key] = reencrypt_secret(value)
                elif isinstance(value, list):
                    authenticator.data[key] = [reencrypt_secret(token) for token in value]
            authenticator.save(update_fields=["data"])
            rewritten += 1
    return rewritten
