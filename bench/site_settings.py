"""The site's settings with one change, for the sign-up measurement only: a sign-up limit the bench cannot hit.

allauth allows 20 sign-ups a minute per IP; the bench signs up a few dozen people from 127.0.0.1 in
well under a minute. Everything else, including every other rate limit, is the site's own.
"""

from config.settings import *  # noqa: F403
from config.settings import ACCOUNT_RATE_LIMITS

ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "signup": "1000/m/ip"}
