"""Sign-up takes as long for an address that has an account as for a new one: time reveals no account."""

import statistics
import time

from testkit.http import Browser
from testkit.people import PASSWORD, unique_email
from testkit.sites import Site, clear_rate_limits

ROUNDS = 15  # enough that a busy machine's drift evens out between the two kinds
WARM_UP_ROUNDS = 2
# Each round posts two sign-ups; the limit is 20 a minute from one address, so each round starts a new window.


def timed_signup(site: Site, email: str) -> float:
    """Seconds from sending the sign-up form to its answer, in a browser of its own (no session yet)."""
    browser = Browser(site.url)
    token = browser.csrf_token("/accounts/signup/")
    fields = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    started = time.perf_counter()
    response = browser.submit("/accounts/signup/", token, fields)
    elapsed = time.perf_counter() - started
    assert (response.status, response.location) == (302, "/accounts/confirm-email/")
    return elapsed


def test_signup_answers_as_fast_for_a_registered_address_as_for_a_new_one(site: Site) -> None:
    database = site.env["DATABASE_URL"]
    registered = [unique_email("registered") for _ in range(ROUNDS + WARM_UP_ROUNDS)]
    for start in range(0, len(registered), 10):
        clear_rate_limits(database)
        for email in registered[start : start + 10]:
            timed_signup(site, email)

    new_times, registered_times = [], []
    for number, email in enumerate(registered):
        # Each probe is an attacker's first for that address: no earlier mail holds the next one back.
        clear_rate_limits(database)
        probes = [(new_times, unique_email("new")), (registered_times, email)]
        if number % 2:
            probes.reverse()  # the machine's load drifts: neither kind always goes first
        for times, address in probes:
            elapsed = timed_signup(site, address)
            if number >= WARM_UP_ROUNDS:  # every worker has hashed and mailed once before anything counts
                times.append(elapsed)

    new, known = statistics.median(new_times), statistics.median(registered_times)
    milliseconds = {
        kind: sorted(round(t * 1000) for t in times)
        for kind, times in [("new", new_times), ("registered", registered_times)]
    }
    assert max(new, known) / min(new, known) <= 1.2, f"sign-up times in ms: {milliseconds}"
