"""A browser's name as a person knows it ("Firefox on Linux"), from its User-Agent header: one parser (ua-parser, the
maintained port of the browserscope rules) behind one function, used by the sessions page, the activity page and
every email that names a browser.

Only names written here are ever shown. ua-parser's rules copy words out of the header for clients they do not know
(``(\\w+ ?[Bb]ot)/`` turns ``Call +1-555-0100 NOW, your account is locked Bot/1.0`` into a "browser" of that
name), and the sender of a request writes its header: shown to the account's owner in their activity and in the
new-device email, in the site's own voice, it would be a phishing line. So a family ua-parser returns is only a key
into the allow-lists below; anything else is an unknown browser, or no system at all.
"""

from functools import cache

from django.http import HttpRequest
from ua_parser import BasicResolver, Cache, CachingResolver, Parser, load_lazy_builtins

# Real User-Agent strings stay far below this; the parser never needs to look at more of a hostile one.
USER_AGENT_LENGTH = 500
UNKNOWN_BROWSER = "Unknown browser"

# ua-parser's family → the name a person knows. Several builds of one browser (mobile, iOS) are that browser.
BROWSERS = {
    "Firefox": "Firefox",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Chrome": "Chrome",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chromium": "Chromium",
    "HeadlessChrome": "Headless Chrome",
    "Chrome Mobile WebView": "Android WebView",
    "Safari": "Safari",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Edge": "Edge",
    "Edge Mobile": "Edge",
    "IE": "Internet Explorer",
    "IE Mobile": "Internet Explorer",
    "Opera": "Opera",
    "Opera Mobile": "Opera",
    "Opera Mini": "Opera Mini",
    "Samsung Internet": "Samsung Internet",
    "Vivaldi": "Vivaldi",
    "Yandex Browser": "Yandex Browser",
    "Brave": "Brave",
    "DuckDuckGo Mobile": "DuckDuckGo",
    "UC Browser": "UC Browser",
    "Silk": "Silk",
    "Android": "Android browser",
    "Electron": "Electron",
    # Not browsers, but what people script with: worth recognising in one's own activity.
    "curl": "curl",
    "Wget": "Wget",
    "Python Requests": "Python Requests",
}

# ua-parser's operating-system family → the name a person knows.
SYSTEMS = {
    "Windows": "Windows",
    "Windows Phone": "Windows Phone",
    "Mac OS X": "macOS",
    "iOS": "iOS",
    "Android": "Android",
    "Chrome OS": "ChromeOS",
    "Linux": "Linux",
    "Ubuntu": "Ubuntu",
    "Debian": "Debian",
    "Fedora": "Fedora",
    "Red Hat": "Red Hat",
    "Arch Linux": "Arch Linux",
    "Linux Mint": "Linux Mint",
    "openSUSE": "openSUSE",
    "FreeBSD": "FreeBSD",
    "OpenBSD": "OpenBSD",
    "NetBSD": "NetBSD",
    "KaiOS": "KaiOS",
}


@cache
def _parser() -> Parser:
    # The rules are compiled lazily, each on first use, and results cached: a parse costs microseconds after
    # the first few. Pure Python on purpose: a name per sign-in does not need the native accelerator.
    return Parser(CachingResolver(BasicResolver(load_lazy_builtins()), Cache(500)))


def browser_name(request: HttpRequest) -> str:
    """A name a person recognises, such as "Firefox on Linux" or "Chrome on Android", for the request's browser."""
    return name_of_user_agent(request.META.get("HTTP_USER_AGENT", ""))


def name_of_user_agent(user_agent: str) -> str:
    """The name of the browser that sends this User-Agent, made of the names above only: never a word of the header."""
    user_agent = user_agent[:USER_AGENT_LENGTH]
    if not user_agent.strip():
        return UNKNOWN_BROWSER
    result = _parser().parse(user_agent)
    browser = BROWSERS.get(result.user_agent.family, UNKNOWN_BROWSER) if result.user_agent else UNKNOWN_BROWSER
    system = SYSTEMS.get(result.os.family) if result.os else None
    return browser if system is None else f"{browser} on {system}"
