"""Requests no browser sends, against the site as production serves it: refused with a 400 and one log line."""

from testkit import cv_files
from testkit.http import Browser, FilePart
from testkit.logs import log_lines
from testkit.polling import wait_until
from testkit.sites import Site


def log_after(site: Site, offset: int, *, path: str, status: int) -> list[dict]:
    """The site's log lines written since ``offset``, once the access line of the request has appeared."""

    def lines_with_the_access_line() -> list[dict]:
        lines = log_lines(site.log_text()[offset:])
        access = [(line["path"], line["status"]) for line in lines if line.get("event") == "request"]
        return lines if (path, status) in access else []

    return wait_until(
        lines_with_the_access_line,
        f"an access line for {status} {path}",
        describe=lambda: log_lines(site.log_text()[offset:]),
    )


def test_a_request_with_more_files_than_any_form_has_is_refused_in_one_warning_line(site: Site) -> None:
    browser = Browser(site.url)
    token = browser.csrf_token("/accounts/login/")
    pdf = cv_files.make_pdf()
    parts = [FilePart("cv", f'filename="cv-{number}.pdf"'.encode(), [pdf], len(pdf)) for number in range(5)]
    offset = len(site.log_text())

    response = browser.post_multipart("/profile/edit/", fields={"csrfmiddlewaretoken": token}, files=parts)

    assert response.status == 400
    lines = log_after(site, offset, path="/profile/edit/", status=400)
    [refused] = [line for line in lines if line.get("event") == "request_refused"]
    assert refused["level"] == "WARNING" and refused["logger"] == "django.security.TooManyFilesSent"
    assert [line for line in lines if line["level"] in ("ERROR", "CRITICAL")] == []
    assert not any("Traceback" in str(line) for line in lines)
