"""What a request tells about its client: a browser name a person recognises, and what an address says."""

import pytest
from django.test import RequestFactory

from security.browsers import browser_name
from security.clients import describe_place


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 "
            "Safari/537.36",
            "Headless Chrome on Linux",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown browser"),
        ("Unspecified", "Unknown browser"),
        ("\x00<script>alert(1)</script>", "Unknown browser"),
    ],
)
def test_a_browser_is_named_as_a_person_knows_it(user_agent, name):
    assert browser_name(RequestFactory().get("/", HTTP_USER_AGENT=user_agent)) == name


def test_a_request_without_a_user_agent_is_an_unknown_browser():
    request = RequestFactory().get("/")
    assert "HTTP_USER_AGENT" not in request.META
    assert browser_name(request) == "Unknown browser"


def test_a_huge_user_agent_gives_a_short_name_quickly():
    name = browser_name(RequestFactory().get("/", HTTP_USER_AGENT="Firefox/1" + "x" * 100_000))
    assert len(name) <= 100


@pytest.mark.parametrize(
    ("ip", "place"),
    [
        ("203.0.113.7", "IP address 203.0.113.7"),
        ("2001:db8::1", "IP address 2001:db8::1"),
        ("127.0.0.1", "IP address 127.0.0.1 (the server's own machine)"),
        ("::1", "IP address ::1 (the server's own machine)"),
        ("10.1.2.3", "IP address 10.1.2.3 (a private network, such as a home or office network)"),
        ("192.168.1.20", "IP address 192.168.1.20 (a private network, such as a home or office network)"),
        ("fd12::1", "IP address fd12::1 (a private network, such as a home or office network)"),
        (None, "an unknown address"),
    ],
)
def test_an_address_says_what_it_can_about_the_place(ip, place):
    assert describe_place(ip) == place
