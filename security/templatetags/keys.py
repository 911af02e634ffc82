"""Template filters for the two-factor pages: a person's WebAuthn keys in the two groups they know them by.

A passkey (a key allauth registered as passwordless: the browser reported a discoverable credential) logs the person
in on its own; a security key is a second step after the password. allauth keeps both as one type of authenticator,
and a key registered before it asked says neither: such a key is shown as a security key, which it can always be.
"""

from collections.abc import Iterable
from typing import Any

from django import template

register = template.Library()


def wrapped(key: Any) -> Any:
    """allauth's wrapper of a key (``name``, ``is_passwordless``, ``instance``), given the key or its wrapper."""
    return key.wrap() if hasattr(key, "wrap") else key


def is_passkey(key: Any) -> bool:
    """True for a passkey, given an Authenticator or allauth's wrapper of one; False for anything else (no key)."""
    return getattr(wrapped(key), "is_passwordless", None) is True


@register.filter
def passkeys(keys: Iterable[Any] | None) -> list[Any]:
    """``{% with passkeys=authenticators.webauthn|passkeys %}``: the keys that log in on their own, wrapped."""
    return [wrapped(key) for key in keys or () if is_passkey(key)]


@register.filter
def security_keys(keys: Iterable[Any] | None) -> list[Any]:
    """The keys that are a second step after the password (and those that never said), wrapped."""
    return [wrapped(key) for key in keys or () if not is_passkey(key)]


@register.filter(name="is_passkey")
def is_passkey_filter(key: Any) -> bool:
    """``{% if authenticator|is_passkey %}``: to call a key what it is on its own pages."""
    return is_passkey(key)
