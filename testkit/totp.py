"""An authenticator app for tests: RFC 6238 codes (HMAC-SHA1, 6 digits, 30-second windows) from the secret the site
shows, computed here with the standard library, as a phone app computes them and independently of the site's code."""

import base64
import hmac
import struct
import time

PERIOD = 30
DIGITS = 6
# A code typed with less time than this left in its window may reach the site after the window has closed.
MARGIN = 3.0
# The site's MFA_TOTP_TOLERANCE (config/settings.py): windows on each side of the current one whose codes it takes.
TOLERANCE = 1


def totp_code(secret: str, at: float) -> str:
    """The code for ``at`` (seconds since the epoch) of a base32 secret, spaces and case as a person may copy it."""
    key = secret.replace(" ", "").upper()
    digest = hmac.new(base64.b32decode(key + "=" * (-len(key) % 8)), struct.pack(">Q", int(at // PERIOD)), "sha1")
    mac = digest.digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def a_wrong_code(secret: str, at: float) -> str:
    """A six-digit code the site refuses at ``at``: the code of none of the windows it accepts then."""
    accepted = {totp_code(secret, at + PERIOD * step) for step in range(-TOLERANCE, TOLERANCE + 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


class AuthenticatorApp:
    """The app a person set up with ``secret``; ``code()`` is what they read off it and type."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.last_window: int | None = None

    def code(self) -> str:
        """A code the site takes now: with time left in its window, and from a window this app has not given a
        code for yet, since the site accepts each code once (waiting up to one window for the next)."""
        while True:
            now = time.time()
            left = PERIOD - now % PERIOD
            if left >= MARGIN and int(now // PERIOD) != self.last_window:
                self.last_window = int(now // PERIOD)
                return totp_code(self.secret, now)
            time.sleep(left + 0.05)
