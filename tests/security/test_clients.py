"""What a request tells about its client: a browser name a person recognises (and never the header's own words,
wherever a browser is named), and what an address says."""

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from security.browsers import BROWSERS, SYSTEMS, browser_name, name_of_user_agent
from security.clients import describe_place
from security.models import SecurityEvent
from testkit.people import PASSWORD

# A User-Agent is written by whoever sends the request: ua-parser's catch-all rule for bots copies its words.
PHISHING = "Call +1-555-0100 NOW, your account is locked Bot/1.0"
PHISHING_WORDS = ("555", "NOW", "locked", "Call")


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
        (
            "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240605.024; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36",
            "Android WebView on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "FxiOS/127.0 Mobile/15E148 Safari/605.1.15",
            "Firefox on iOS",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
            "Safari/537.36",
            "Chrome on ChromeOS",
        ),
        ("curl/8.5.0", "curl"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Unknown browser"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "Unknown browser"),
        (PHISHING, "Unknown browser"),
        ("Your account is locked, call 555-0100 Bot/1.0 (Windows NT 10.0)", "Unknown browser on Windows"),
        ("Mozilla/5.0 (Windows NT 10.0) YourAccountIsLockedCall5550100/1.0", "Unknown browser on Windows"),
        ("Mozilla/5.0 (Scam OS 1.0; call 555-0100) Firefox/128.0", "Firefox"),
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


ALL_NAMES = {"Unknown browser", *BROWSERS.values()}
ALL_NAMES |= {f"{browser} on {system}" for browser in ALL_NAMES for system in SYSTEMS.values()}


HEADER_WORDS = st.text(max_size=80)


@given(st.text(max_size=300) | st.builds(lambda words: f"Mozilla/5.0 ({words}) {words}/1.0 Bot/2", HEADER_WORDS))
def test_any_user_agent_is_named_with_the_sites_own_names_only(user_agent):
    assert name_of_user_agent(user_agent) in ALL_NAMES


def test_every_name_fits_the_activity_logs_column():
    assert max(len(name) for name in ALL_NAMES) <= SecurityEvent._meta.get_field("browser").max_length


# --- Where a browser is named: the activity page, the new-device email, allauth's notices, the sessions page --------


def assert_no_words_of(text: str) -> None:
    assert not [word for word in PHISHING_WORDS if word in text], text


def test_a_hostile_user_agent_is_an_unknown_browser_in_the_activity_page(user):
    Client(HTTP_USER_AGENT=PHISHING).post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    owner = Client()
    owner.force_login(user)

    page = owner.get("/accounts/activity/").content.decode()

    assert "Unknown browser" in page
    assert_no_words_of(page.split("<main", 1)[1])


def test_a_hostile_user_agent_is_an_unknown_browser_in_the_new_device_email(user, django_capture_on_commit_callbacks):
    Client().post("/accounts/login/", {"login": user.email, "password": PASSWORD})  # the account's first browser
    with django_capture_on_commit_callbacks(execute=True):
        Client(HTTP_USER_AGENT=PHISHING).post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    [warning] = [message for message in mail.outbox if message.subject.startswith("New log-in")]
    [html] = [content for content, kind in warning.alternatives if kind == "text/html"]
    assert "Browser: Unknown browser" in warning.body
    assert_no_words_of(warning.body)
    assert_no_words_of(html)


def test_a_hostile_user_agent_is_an_unknown_browser_in_allauths_notices(user, django_capture_on_commit_callbacks):
    client = Client(HTTP_USER_AGENT=PHISHING)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": "a new long password 93", "password2": "a new long password 93"},
        )

    assert response.status_code == 302
    [notice] = [message for message in mail.outbox if "Password changed" in message.subject]
    [html] = [content for content, kind in notice.alternatives if kind == "text/html"]
    assert "Browser: Unknown browser" in notice.body
    assert_no_words_of(notice.body)
    assert_no_words_of(html)


def test_a_hostile_user_agent_is_an_unknown_browser_on_the_sessions_page(user):
    client = Client(HTTP_USER_AGENT=PHISHING)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    page = client.get("/accounts/sessions/").content.decode()

    assert "Unknown browser" in page
    assert_no_words_of(page.split("<main", 1)[1])


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
