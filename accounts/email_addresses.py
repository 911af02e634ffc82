"""The one canonical form of an email address; every path that takes an address goes through ``canonical_email``.

Two spellings of one mailbox must be one account, so an address is stored, looked up and compared only in
this form: Unicode NFKC (fullwidth letters and other compatibility forms folded, combining marks composed),
surrounding white space removed, needless quotes around the local part dropped, the domain in its IDNA ASCII
(``xn--``) form, all in lower case. Syntax and IDNA are judged by ``email-validator`` (the library pydantic
uses), never by a hand-written parser.
"""

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, validate_email

# RFC 5321's limit on a path, and the width of the columns that store addresses.
MAX_EMAIL_LENGTH = 254
# Far longer input is refused before any parsing: no address shrinks that much when it is canonicalised.
MAX_INPUT_LENGTH = 4 * MAX_EMAIL_LENGTH


def _too_long(length: int) -> ValidationError:
    return ValidationError(
        _("An email address can have at most %(limit)d characters (this one has %(length)d)."),
        code="email_too_long",
        params={"limit": MAX_EMAIL_LENGTH, "length": length},
    )


def canonical_email(value: str) -> str:
    """Return the canonical form of ``value``, or raise a ValidationError that says why there is none."""
    if len(value) > MAX_INPUT_LENGTH:
        raise _too_long(len(value))
    text = unicodedata.normalize("NFKC", value).strip()
    try:
        address = validate_email(
            text,
            check_deliverability=False,  # no DNS from a form; verification by email proves the mailbox
            allow_smtputf8=False,  # Django's mail backend cannot send to a non-ASCII local part
            allow_quoted_local=True,  # so that a needlessly quoted local part is unquoted, not refused
            allow_display_name=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError as error:
        if len(text) > MAX_EMAIL_LENGTH:
            raise _too_long(len(text)) from error
        raise ValidationError(
            _("Enter a valid email address. %(reason)s"), code="invalid", params={"reason": str(error)}
        ) from error
    local_part, domain = address.ascii_local_part, address.ascii_domain
    assert local_part is not None and domain is not None  # allow_smtputf8=False: both are ASCII, never None
    if local_part.startswith('"'):
        # Quotes that are really needed (spaces, two dots in a row, ...) make one mailbox spellable in too
        # many ways, and few mail systems deliver to such addresses anyway.
        raise ValidationError(
            _("Enter an address without quotation marks: addresses that need them are not accepted here."),
            code="email_quoted",
        )
    canonical = f"{local_part.lower()}@{domain.lower()}"
    if len(canonical) > MAX_EMAIL_LENGTH:
        raise _too_long(len(canonical))
    return canonical


def canonical_email_or_input(value: str) -> str:
    """The canonical form when there is one; otherwise the input, stripped, for a validator to refuse."""
    try:
        return canonical_email(value)
    except ValidationError:
        return value.strip()


def validate_email_address(value: str) -> None:
    """Model field validator: the address must have a canonical form of at most 254 characters."""
    canonical_email(value)


class CanonicalEmailField(models.EmailField):
    """A model field stored in the canonical form, whose ``clean()`` (model validation, ``createsuperuser``'s prompts)
    yields it too. What has no canonical form is left as typed, for the validator to refuse with its reason.
    """

    default_validators = [*models.EmailField.default_validators, validate_email_address]

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        return canonical_email_or_input(text) if text else text
