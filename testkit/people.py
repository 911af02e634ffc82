"""The people the tests sign up: one password for all, and a new address for each."""

import secrets
from itertools import count

PASSWORD = "a long test password 42"

_numbers = count(1)
_run = secrets.token_hex(3)


def unique_email(label: str = "person") -> str:
    """A new address per call and per run: rate limits count per address, and every test needs its own inbox."""
    return f"{label}-{_run}-{next(_numbers)}@example.com"
