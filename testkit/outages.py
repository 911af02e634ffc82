"""What a site says while a part it needs is down: the calm 503 page, and the one log line for the failure."""

from .http import Response
from .logs import log_lines
from .polling import wait_until
from .sites import Site

UNAVAILABLE_PAGE = "This is not working just now"  # templates/503.html
NOTHING_LOST = "Nothing was lost: please try again in a few minutes."


class LogWatch:
    """The lines the site logs from now on."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.start = len(site.log_text().splitlines())

    def lines(self) -> list[dict]:
        return log_lines("\n".join(self.site.log_text().splitlines()[self.start :]))

    def outages(self) -> list[dict]:
        return [line for line in self.lines() if line.get("event") == "dependency_unavailable"]

    def the_one_outage(self, part: str) -> dict:
        """The one line for the failure, a WARNING naming the part; nothing at ERROR, no traceback."""
        [line] = wait_until(self.outages, "the outage is logged")  # written before the response was sent
        assert (line["level"], line["part"]) == ("WARNING", part), line
        assert [other for other in self.lines() if other["level"] in ("ERROR", "CRITICAL")] == []
        assert not any("Traceback" in str(other) for other in self.lines())
        return line


def assert_calm_503(response: Response) -> None:
    """The 503 page that says to try again later, with its Retry-After, and nothing else (no rate-limit page)."""
    assert response.status == 503, (response.status, response.text[:1000])
    assert UNAVAILABLE_PAGE in response.text and NOTHING_LOST in response.text
    assert "Too many" not in response.text
    assert response.header("Retry-After") == "60"
