"""The pages the bench measures, each with its targets: add a page here and every measurement and check follows.

Load (wrk), query counts, the cost breakdown and the targets all iterate over ``PAGES``. A page without a
throughput target (``min_ratio=None``) or query budget (``max_queries=None``) is measured and shown, not judged.
The targets are issue 17's: requests per second as a share of the ceiling's, and queries per request.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    path: str
    signed_in: bool
    name: str
    min_ratio: float | None = None
    max_queries: int | None = None

    @property
    def label(self) -> str:
        return f"{self.path} ({'signed in' if self.signed_in else 'signed out'})"


PAGES = (
    Page("/", signed_in=False, name="home", min_ratio=0.70, max_queries=0),
    Page("/accounts/login/", signed_in=False, name="log-in", min_ratio=0.40, max_queries=1),
    Page("/accounts/signup/", signed_in=False, name="sign-up", min_ratio=0.30, max_queries=1),
    Page("/profile/", signed_in=True, name="profile", min_ratio=0.50, max_queries=2),
    Page("/profile/edit/", signed_in=True, name="profile edit"),
    Page("/accounts/email/", signed_in=True, name="email page", min_ratio=0.25),
)
