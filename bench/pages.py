"""The pages the bench measures, each with its targets: add a page here and every measurement and check follows.

Load (wrk), query counts, the cost breakdown and the targets all iterate over ``PAGES``. A page without a
throughput target (``min_ratio=None``) or query budget (``max_queries=None``) is measured and shown, not judged.
The targets are issue 24's: requests per second as a share of the ceiling's (the signed-in pages at 1.25 × the best
starter kit's, the entrance pages where they were), every other signed-in page at most twice as slow as the profile,
and queries per request (also asserted in tests/test_query_budgets.py).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    path: str
    signed_in: bool
    name: str
    min_ratio: float | None = None
    max_queries: int | None = None
    # At most this many times slower than the profile page (its req/s over this page's, each run's ratio to the
    # ceiling): the signed-in pages people move between must not fall far behind the one they land on.
    max_slowdown: float | None = None

    @property
    def label(self) -> str:
        return f"{self.path} ({'signed in' if self.signed_in else 'signed out'})"


PROFILE = "profile"
PAGES = (
    Page("/", signed_in=False, name="home", min_ratio=0.45, max_queries=0),
    Page("/accounts/login/", signed_in=False, name="log-in", min_ratio=0.43, max_queries=0),
    Page("/accounts/signup/", signed_in=False, name="sign-up", min_ratio=0.43, max_queries=0),
    Page("/profile/", signed_in=True, name=PROFILE, min_ratio=0.25, max_queries=2),
    Page("/profile/edit/", signed_in=True, name="profile edit", max_queries=2, max_slowdown=2),
    Page("/accounts/email/", signed_in=True, name="email page", min_ratio=0.10, max_slowdown=2),
    Page("/accounts/2fa/", signed_in=True, name="two-factor", max_slowdown=2),
    Page("/accounts/sessions/", signed_in=True, name="sessions", max_slowdown=2),
    Page("/accounts/activity/", signed_in=True, name="activity", max_slowdown=2),
)
