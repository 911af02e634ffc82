"""A browser's name as a person knows it ("Firefox on Linux"), from its User-Agent header: one parser (ua-parser, the
maintained port of the browserscope rules) behind one function, used by the sessions page, the activity page and
every email that names a browser.

Only names written here are ever shown. ua-parser's rules copy words out of the header for clients they do not know
(``(\\w+ ?[Bb]ot)/`` turns ``Call +1-555-0100 NOW, your account is locked Bot/1.0`` into a "browser" of that
name), and the sender of a request writes its header: shown to the account's owner in their activity and in the
new-device email, in the site's own voice, it would be a phishing line. So a family ua-parser returns is only a key
into the allow-lists below; anything else is an unknown browser, or no system at all.

A name is kept (in the activity log, in allauth's session rows as their User-Agent) in one language-neutral form, the
English one ("Firefox on Linux"), and put into the reader's language when it is shown (``translated_browser_name``:
"Firefox auf Linux"): an event recorded from an English page is read in German by its German owner, and every name
ever stored keeps reading right when a translation changes. Only the few words that are not names are translated
("on", "Unknown browser", "Android browser"); Firefox, Windows or iOS are the same in every language.
"""

from functools import cache

from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import pgettext
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


# The stored (English) words that are not names, and how each reads in the active language.
def _translated_words() -> dict[str, str]:
    return {
        UNKNOWN_BROWSER: pgettext("browser name", "Unknown browser"),
        "Android browser": pgettext("browser name", "Android browser"),
    }


def translated_browser_name(name: str) -> str:
    """A stored name ("Chrome on Android") in the active language ("Chrome auf Android"); a value that is not one of
    the names above (a row from before the allow-lists, say) is an unknown browser, never shown as it is."""
    browser, _, system = name.partition(" on ")
    known_browsers = {UNKNOWN_BROWSER, *BROWSERS.values()}
    if browser not in known_browsers or (system and system not in SYSTEMS.values()):
        browser, system = UNKNOWN_BROWSER, ""
    browser = _translated_words().get(browser, browser)
    if not system:
        return browser
    return pgettext("browser name: a browser on an operating system", "{browser} on {system}").format(
        browser=browser, system=system
    )


# For an email's context: the name put into the recipient's language when the message is rendered in it.
translated_browser_name_lazy = lazy(translated_browser_name, str)


def device_name(request: HttpRequest) -> str:
    """The request's browser and system in the active language, as a new passkey or security key is named by default
    ("Chrome on Android", "Chrome auf Android")."""
    return translated_browser_name(browser_name(request))
