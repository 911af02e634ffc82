"""How failed log-ins are counted where allauth's own counting is not enough: per client address apart from allauth's
counters, and per account for strangers only.

allauth counts failed log-ins under one action, ``login_failed``, per client address and per account (the address
typed, or the person at a second-factor step), and clears the action's counters whenever someone proves who they are
(a right second-factor code, a password reset). Two things follow that the site does not accept:

- Clearing every counter of the action clears the client address's count too, so anyone could wipe their address's
  failed log-ins against other people's accounts by logging into a two-factor account of their own. The address's
  count is therefore an action of its own (``login_failed_from_address`` in ACCOUNT_RATE_LIMITS) that nothing clears:
  each password or code is counted before it is checked, and the count is rolled back only when it was right.
- A per-account count that everyone shares lets anyone who knows an address lock its owner out of password log-in,
  every five minutes for ever. The account's count (allauth's ``login_failed``) is therefore for the browsers the
  account does not know; a browser it has signed in with before (security/devices.py) has a count of its own, per
  account and browser: strangers are throttled, the owner's browsers are not, and each of them is still limited.
"""

from collections.abc import Iterable

from allauth.core.internal import ratelimit
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from . import devices

ADDRESS_ACTION = "login_failed_from_address"


def count_attempt_from_address(request: HttpRequest) -> ratelimit.RateLimitUsage | None:
    """Count a password or code about to be checked against the client address's failed log-ins; None when the address
    has no attempts left. Roll the returned usage back if it was right: only failures count."""
    # allauth's internal consume, as its own adapter uses it for login_failed: the public one cannot be rolled back.
    return ratelimit.consume(request, app="allauth.account", action=ADDRESS_ACTION)


def account_key(request: HttpRequest, *, key: str, owners: Iterable[AbstractBaseUser]) -> str:
    """The key of the account's failed log-ins (``key``, allauth's: the address typed) as this browser counts them:
    the strangers' shared one, or, for a browser one of the address's ``owners`` knows, one of its own."""
    if not devices.carries_device_cookie(request):
        return key  # no cookie, no known browser: nothing to look up
    for owner in owners:
        device = devices.known_device(request=request, user=owner)
        if device is not None:
            return f"{key}:known-device:{device.pk}"
    return key
