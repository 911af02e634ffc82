"""A person's security activity, its whole life: record an event, list their last 90 days, export it, prune it.

An event keeps what happened, when, the client's address and a readable browser name; never a password, a code,
a token, an address someone typed, nor the raw User-Agent. A failed sign-in is kept only against an account found
on the server from the address typed; for an address with no account it is counted in the log and kept nowhere.
"""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from allauth.account.adapter import get_adapter
from allauth.account.authentication import get_authentication_records
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from .browsers import browser_name
from .clients import client_ip
from .models import SecurityEvent

logger = logging.getLogger(__name__)

RETENTION = timedelta(days=90)
Kind = SecurityEvent.Kind


class AccountsByAddress(Protocol):
    """What this module asks of the user model's manager (accounts' ``UserManager``), reached through
    ``get_user_model()``: which accounts an address belongs to."""

    def owners_of_address(self, email: str) -> QuerySet[Any]: ...


def record(*, user_id: int, kind: Kind, request: HttpRequest | None = None) -> SecurityEvent:
    """Record that ``kind`` happened to the account now, with the client's address and browser.

    The address and browser are kept only when the request is the person's own (or nobody's yet: a sign-in, a
    link from an email): an administrator acting on someone's account leaves their own address out of it.
    """
    ip, browser = None, ""
    if request is not None and _is_own_or_anonymous(request, user_id):
        ip, browser = client_ip(request), browser_name(request)
    return SecurityEvent.objects.create(user_id=user_id, kind=kind, ip=ip, browser=browser)


def _is_own_or_anonymous(request: HttpRequest, user_id: int) -> bool:
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated or user.pk == user_id


def sign_in_kind(request: HttpRequest, user: AbstractBaseUser) -> Kind:
    """How the sign-in that just completed was made, from allauth's record of this session's authentication steps."""
    steps = [step for step in get_authentication_records(request, user) if not step.get("reauthenticated")]
    methods = {step.get("method") for step in steps}
    if any(step.get("method") == "mfa" and step.get("passwordless") for step in steps):
        return Kind.SIGNED_IN_WITH_PASSKEY
    if "mfa" in methods:
        return Kind.SIGNED_IN_WITH_TWO_FACTOR
    if "code" in methods:
        return Kind.SIGNED_IN_WITH_CODE
    if "password" in methods:
        return Kind.SIGNED_IN_WITH_PASSWORD
    return Kind.SIGNED_IN  # e.g. signed in by confirming the address, straight after signing up


def password_was_just_right(request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Whether the log-in in progress got past its first step with the account's password (not an emailed code):
    allauth records each step in the session before the second factor is asked for."""
    steps = [step for step in get_authentication_records(request, user) if step.get("method") != "mfa"]
    return bool(steps) and steps[-1].get("method") == "password"


def record_login_code_sent(*, request: HttpRequest | None, email: str) -> None:
    """Record a log-in code emailed to one of the account's addresses (the account the code is for)."""
    accounts = cast(AccountsByAddress, get_user_model()._default_manager)
    account = accounts.owners_of_address(email).first()
    if account is not None:
        record(user_id=account.pk, kind=Kind.LOGIN_CODE_SENT, request=request)


def record_failed_sign_in(*, request: HttpRequest | None, typed_email: Any) -> None:
    """Record a wrong password against the account the typed address belongs to; count one for no account.

    The typed value is attacker-controlled (it may even be a password typed into the wrong box): it is only
    looked up, in canonical form, and never kept or logged.
    """
    account = None
    if isinstance(typed_email, str):
        try:
            email = get_adapter().clean_email(typed_email)  # the canonical form, as every form stores it
        except ValidationError:
            email = None
        if email:
            accounts = cast(AccountsByAddress, get_user_model()._default_manager)
            account = accounts.owners_of_address(email).first()
    if account is None:
        logger.info("failed sign-in for an address with no account", extra={"event": "sign_in_failed_unknown"})
        return
    signed_in_as = getattr(request, "user", None)
    confirming = signed_in_as is not None and signed_in_as.is_authenticated and signed_in_as.pk == account.pk
    record(
        user_id=account.pk, kind=Kind.REAUTHENTICATION_FAILED if confirming else Kind.SIGN_IN_FAILED, request=request
    )


def recent_events(*, user: AbstractBaseUser, now: datetime | None = None) -> QuerySet[SecurityEvent]:
    """The person's events of the last 90 days, counted in whole days (UTC), newest first: the list changes with the
    date, not the second (the page is kept per day: web/page_cache.py)."""
    since = (now or timezone.now()).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - RETENTION
    return SecurityEvent.objects.filter(user_id=user.pk, created_at__gte=since).order_by("-created_at", "-pk")


def export_events(*, user: AbstractBaseUser) -> list[dict[str, Any]]:
    """Every event kept about the person, newest first, as JSON-ready data."""
    return [
        {
            "at": event.created_at,
            "event": event.kind,
            "description": event.get_kind_display(),
            "ip_address": event.ip,
            "browser": event.browser,
        }
        for event in SecurityEvent.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")
    ]


def prune_events(*, now: datetime | None = None) -> int:
    """Delete the events older than 90 days, everyone's; return how many went."""
    deleted, _ = SecurityEvent.objects.filter(created_at__lt=(now or timezone.now()) - RETENTION).delete()
    return deleted
