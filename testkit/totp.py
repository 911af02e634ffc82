"""An authenticator app for tests: RFC 6238 codes (HMAC-SHA1, 6 digits, 30-second windows) from the secret the site
shows, computed here with the standard library, as a phone app computes them and independently of the site's code.

``AuthenticatorApp.code()`` never waits for the clock. The site accepts a window's code from the window before it to
the window after it (``MFA_TOTP_TOLERANCE = 1``) and each code once, so the app gives the code of the *next* window
(60 to 90 s left at the site), else that of the current one (30 to 60 s left), and remembers which windows it has
given. Either is in time however loaded the machine. It never gives the previous window's code: with 0 to 30 s left,
whether that reached the site in time would depend on where in the window the test happened to be. So a test can
take two codes in a row; a third within the same window is a design error, and the app says so (use a recovery
code for that step: it is what a person without a fresh code does).
"""

import base64
import hmac
import struct
import time

PERIOD = 30
DIGITS = 6
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
        self.given: set[int] = set()  # windows whose codes the site has been given to spend

    def code(self, *, spent: bool = True) -> str:
        """A code the site takes now, from a window this app has not given yet; ``spent=False`` for a step that
        checks a code without using it up (activating the app), so that the same code may be given again."""
        now = time.time()
        current = int(now // PERIOD)
        for window in (current + 1, current):
            if window not in self.given:
                if spent:
                    self.given.add(window)
                return totp_code(self.secret, window * PERIOD)
        raise AssertionError(
            "A third authenticator code within one 30-second window: the site takes each code once, and the only "
            "one left (the previous window's) may expire on the way. Use a recovery code for this step."
        )
