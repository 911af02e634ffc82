"""How failed log-ins are counted where allauth's own counting is not enough: per client address apart from allauth's
counters.

allauth counts failed log-ins under one action, ``login_failed``, per client address and per account (the address
typed, or the person at a second-factor step), and clears the action's counters whenever someone proves who they are
(a right second-factor code, a password reset). That the site does not accept:

- Clearing every counter of the action clears the client address's count too, so anyone could wipe their address's
  failed log-ins against other people's accounts by logging into a two-factor account of their own. The address's
  count is therefore an action of its own (``login_failed_from_address`` in ACCOUNT_RATE_LIMITS) that nothing clears:
  each password or code is counted before it is checked, and the count is rolled back only when it was right.
"""

from allauth.core.internal import ratelimit
from django.http import HttpRequest

ADDRESS_ACTION = "login_failed_from_address"


def count_attempt_from_address(request: HttpRequest) -> ratelimit.RateLimitUsage | None:
    """Count a password or code about to be checked against the client address's failed log-ins; None when the address
    has no attempts left. Roll the returned usage back if it was right: only failures count."""
    # allauth's internal consume, as its own adapter uses it for login_failed: the public one cannot be rolled back.
    return ratelimit.consume(request, app="allauth.account", action=ADDRESS_ACTION)
