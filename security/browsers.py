"""A browser's name as a person knows it ("Firefox on Linux"), from its User-Agent header: one parser (ua-parser, the
maintained port of the browserscope rules) behind one function, used by the sessions page, the activity page and
every email that names a browser."""

from functools import cache

from django.http import HttpRequest
from ua_parser import BasicResolver, Cache, CachingResolver, Parser, load_lazy_builtins

BROWSER_NAME_LENGTH = 100  # SecurityEvent.browser
# Real User-Agent strings stay far below this; the parser never needs to look at more of a hostile one.
USER_AGENT_LENGTH = 500

# ua-parser names some browsers by the build they are; a person knows the browser. Unlisted names are kept.
BROWSER_NAMES = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Android WebView",
    "HeadlessChrome": "Headless Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Edge Mobile": "Edge",
}
SYSTEM_NAMES = {"Mac OS X": "macOS"}


@cache
def _parser() -> Parser:
    # The rules are compiled lazily, each on first use, and results cached: a parse costs microseconds after
    # the first few. Pure Python on purpose: a name per sign-in does not need the native accelerator.
    return Parser(CachingResolver(BasicResolver(load_lazy_builtins()), Cache(500)))


def browser_name(request: HttpRequest) -> str:
    """A short name a person recognises, such as "Firefox on Linux" or "Chrome on Android"; never the raw header."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH]
    if not user_agent.strip():
        return "Unknown browser"
    result = _parser().parse(user_agent)
    browser = result.user_agent.family if result.user_agent else "Other"
    system = result.os.family if result.os else "Other"
    browser = "Unknown browser" if browser == "Other" else BROWSER_NAMES.get(browser, browser)
    name = browser if system == "Other" else f"{browser} on {SYSTEM_NAMES.get(system, system)}"
    return name if len(name) <= BROWSER_NAME_LENGTH else name[: BROWSER_NAME_LENGTH - 1] + "…"
