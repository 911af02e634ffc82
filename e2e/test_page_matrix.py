"""Every page at phone and desktop width, light and dark, in English and German: each page loaded once per language and
shown in each theme and width, a screenshot of each, axe-core on each as it is shown, the W3C Nu checker on each page's
HTML (one run for all), and a theme with no flash. What only a browser shows is measured on each as well: nothing wider
than a phone's screen, every QR code on a light tile with its quiet zone, and one solid primary button at most, never
a solid Cancel."""

import base64
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

from e2e.scanning import BLOCKING_IMPACTS, describe, validate_html
from e2e.steps import Account, sign_up
from testkit.processes import PROJECT_DIR
from testkit.sites import Site
from testkit.smtp import SMTPSink
from testkit.totp import AuthenticatorApp

SCREENSHOTS = PROJECT_DIR / "artefacts" / "screenshots"
LANGUAGES = ["en", "de"]
THEMES = ["light", "dark"]
WIDTHS = {390: 844, 1280: 800}  # a phone and a desktop screen
PHONE = 390

SIGNED_OUT = {
    "home": "/",
    "sign-up": "/accounts/signup/",
    "log-in": "/accounts/login/",
    "log-in-by-code": "/accounts/login/code/",
    "password-reset": "/accounts/password/reset/",
    "verify-email": "/accounts/confirm-email/",
    "password-changed": "/accounts/password/reset/key/done/",
    "not-found": "/no-such-page/",
}
SIGNED_IN = {
    "confirm-it-is-you": "/accounts/reauthenticate/?next=/accounts/delete/",
    "profile": "/profile/",
    "profile-edit": "/profile/edit/",
    "email-addresses": "/accounts/email/",
    "password-change": "/accounts/password/change/",
    "two-factor": "/accounts/2fa/",
    "authenticator-app": "/accounts/2fa/totp/activate/",
    "passkey-addition": "/accounts/2fa/webauthn/add/",
    "security-keys": "/accounts/2fa/webauthn/",
    "sessions": "/accounts/sessions/",
    "security-activity": "/accounts/activity/",
    "export-started": "/accounts/export/started/",
    "account-deletion": "/accounts/delete/",
    "log-out": "/accounts/logout/",
}
# With the authenticator app on: its recovery codes and the two-factor page, then the second step of a log-in and,
# that cancelled, the emailed code's step.
WITH_TWO_FACTOR = {
    "recovery-codes": "/accounts/2fa/recovery-codes/",
    "two-factor-on": "/accounts/2fa/",
}
HALF_WAY_IN = {
    "two-factor-step": "/accounts/2fa/authenticate/",
    "log-in-code-entry": "/accounts/login/code/confirm/",
}
PAGES = [*SIGNED_OUT, *SIGNED_IN, *WITH_TWO_FACTOR, *HALF_WAY_IN]
EXPECTED_STATUS = {"not-found": 404}


@dataclass
class PageResults:
    """One page in one language: its HTML as served, and what each theme and width showed."""

    html_file: Path
    status: int
    title: str
    violations: dict[str, list[dict]] = field(default_factory=dict)  # by "<theme>-<width>"
    browser_errors: list[str] = field(default_factory=list)
    overflow: dict[str, dict] = field(default_factory=dict)  # by theme, at the phone's width
    qr_codes: dict[str, list[dict]] = field(default_factory=dict)  # by "<theme>-<width>"
    buttons: dict[str, list[dict]] = field(default_factory=dict)  # by theme, at the desktop's width


@dataclass
class Matrix:
    results: dict[tuple[str, str], PageResults] = field(default_factory=dict)  # by (language, page)
    screenshots: list[Path] = field(default_factory=list)
    broken_off: str | None = None


class MatrixWalker:
    def __init__(self, page: Page, html_dir: Path) -> None:
        self.page = page
        self.html_dir = html_dir
        self.axe_loading = Axe()  # puts axe-core on the page, then runs it
        self.axe_loaded = Axe(axe_script="")  # runs the axe-core already on the page
        self.matrix = Matrix()
        self.problems: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.problems.append(message.text))
        page.on("response", self._check_resource)

    def _check_resource(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status} {response.url}")

    def switch_language(self, site: Site, language: str) -> None:
        """Through the footer's form, as a person does (Django's set_language), whatever the page's language."""
        self.page.goto(f"{site.url}/")
        self.page.locator("#footer-language").select_option(language)
        with self.page.expect_navigation():
            self.page.locator("footer form button[type=submit]").click()
        expect(self.page.locator("html")).to_have_attribute("lang", language)

    def visit(self, site: Site, language: str, name: str, path: str) -> None:
        """Load the page once, then show it in each theme (it follows the system's, "auto", at once) at each width,
        and measure each as shown."""
        page = self.page
        page.emulate_media(color_scheme=THEMES[0])  # nothing stored: the page follows the system ("auto")
        page.set_viewport_size({"width": 1280, "height": WIDTHS[1280]})
        response = page.goto(f"{site.url}{path}")
        assert response is not None, f"{name}: no response"
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.mouse.move(0, 0)  # no button under the pointer: each is measured as it rests
        html_file = self.html_dir / f"{language}-{name}.html"
        html_file.write_bytes(response.body())
        results = self.matrix.results[language, name] = PageResults(html_file, response.status, page.title())
        if response.status >= 400:  # the page's own error status is reported in the console too: intended
            self.problems = [problem for problem in self.problems if "Failed to load resource" not in problem]
        axe = self.axe_loading  # axe-core is put on the page once, then run on each variant
        for theme in THEMES:
            # A system asking for reduced motion: the new theme's colours are drawn at once, not faded in.
            page.emulate_media(color_scheme=theme, reduced_motion="reduce")
            expect(page.locator("html")).to_have_attribute("data-bs-theme", theme)
            page.evaluate(AT_REST)  # and any animation of the page's own has ended: each is measured as shown
            for width, height in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                if width == PHONE:
                    results.overflow[theme] = page.evaluate(WIDER_THAN_THE_SCREEN)
                else:
                    results.buttons[theme] = page.evaluate(BUTTONS_AS_SHOWN)
                results.qr_codes[f"{theme}-{width}"] = [quiet_zone(page, code) for code in qr_codes(page)]
                violations = axe.run(page).response["violations"]
                axe = self.axe_loaded
                results.violations[f"{theme}-{width}"] = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
                screenshot = SCREENSHOTS / f"{language}-{theme}-{width}-{name}.png"
                page.screenshot(path=screenshot, full_page=True)
                self.matrix.screenshots.append(screenshot)
        results.browser_errors.extend(self.problems)
        self.problems = []


# --- What only a browser shows -----------------------------------------------------------------------------------

# Every element with a box reaching past the right (or left) edge of the screen, unless an ancestor clips or scrolls it
# (a wide table in its own scrolling box is fine: the page itself does not move sideways). Only the outermost of
# each offending family is named.
WIDER_THAN_THE_SCREEN = """() => {
    const screen = document.documentElement.clientWidth
    const clips = (element) => {
        let ancestor = element.parentElement
        for (; ancestor && ancestor !== document.body; ancestor = ancestor.parentElement) {
            if (getComputedStyle(ancestor).overflowX !== 'visible') return true
        }
        return false
    }
    const name = (element) => element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
        + [...element.classList].map((c) => '.' + c).join('')
    const offenders = []
    for (const element of document.body.querySelectorAll('*')) {
        const box = element.getBoundingClientRect()
        if (box.width <= 1 && box.height <= 1) continue  // nothing to see: gone, or Bootstrap's visually-hidden
        if (box.right <= screen + 0.5 && box.left >= -0.5) continue
        if (clips(element) || offenders.some((outer) => outer.element.contains(element))) continue
        offenders.push({element, right: Math.round(box.right), left: Math.round(box.left)})
    }
    // Text that runs out of its element (a long address that cannot wrap): its parent is named.
    const words = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let node = words.nextNode(); node; node = words.nextNode()) {
        const element = node.parentElement
        if (!node.textContent.trim() || !element.checkVisibility()) continue
        if (clips(element) || getComputedStyle(element).overflowX !== 'visible') continue
        const range = document.createRange()
        range.selectNodeContents(node)
        const box = range.getBoundingClientRect()
        if (box.right <= screen + 0.5 && box.left >= -0.5) continue
        if (offenders.some((outer) => outer.element.contains(element))) continue
        offenders.push({element, right: Math.round(box.right), left: Math.round(box.left)})
    }
    return {
        scrollWidth: document.documentElement.scrollWidth,
        screen,
        offenders: offenders.map(({element, right, left}) => ({
            element: name(element), right, left, text: element.innerText.slice(0, 60),
        })),
    }
}"""

# Once every animation and transition on the page has ended (Bootstrap's buttons fade to a new theme's colours, unless
# the system asks for reduced motion).
AT_REST = "() => Promise.all(document.getAnimations().map((animation) => animation.finished))"

# Every button (and link styled as one) in the page's content, as drawn: its text and its background colour.
BUTTONS_AS_SHOWN = """() => [...document.querySelectorAll('main button, main a.btn, main input[type=submit]')]
    .filter((button) => button.checkVisibility())
    .map((button) => ({
        text: (button.innerText || button.value).trim().replace(/\\s+/g, ' '),
        background: getComputedStyle(button).backgroundColor,
    }))"""

# Bootstrap's solid primary fill, the same in both themes.
PRIMARY_FILL = "rgb(13, 110, 253)"


def qr_codes(page: Page) -> list[Locator]:
    return page.get_by_role("img", name=re.compile("QR")).all()


# The screenshot around a QR code, read in the browser (no image library needed): the bounding box of its dark
# modules, the module's size (a finder pattern's top edge is seven modules), and how many modules of light pixels
# surround it on every side, up to six.
QUIET_ZONE = """async ([png, box]) => {
    const bytes = Uint8Array.from(atob(png), (character) => character.charCodeAt(0))
    const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}))
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
    const context = canvas.getContext('2d')
    context.drawImage(bitmap, 0, 0)
    const {data, width, height} = context.getImageData(0, 0, bitmap.width, bitmap.height)
    const lightness = (x, y) => {
        const i = (y * width + x) * 4
        return (0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2]) / 255
    }
    let top = height, left = width, bottom = -1, right = -1
    for (let y = box.top; y < box.bottom; y++) {
        for (let x = box.left; x < box.right; x++) {
            if (lightness(x, y) < 0.5) {
                top = Math.min(top, y); bottom = Math.max(bottom, y)
                left = Math.min(left, x); right = Math.max(right, x)
            }
        }
    }
    if (bottom < 0) return {modules: 0, module: 0, darkest: 1}
    let run = 0
    while (left + run < width && lightness(left + run, top) < 0.5) run++
    const module = run / 7
    // The ring around the code, from one pixel outside its modules (their anti-aliased edge) to six modules out.
    const around = (ring) => {
        let darkest = 1
        const reach = Math.round(ring * module)
        for (let y = top - reach; y <= bottom + reach; y++) {
            for (let x = left - reach; x <= right + reach; x++) {
                const inside = y > top - 2 && y < bottom + 2 && x > left - 2 && x < right + 2
                if (inside) continue
                if (x < 0 || y < 0 || x >= width || y >= height) return 0
                darkest = Math.min(darkest, lightness(x, y))
            }
        }
        return darkest
    }
    let modules = 0
    while (modules < 6 && around(modules + 1) >= 0.8) modules++
    return {modules, module, darkest: around(4)}
}"""
MARGIN = 60  # CSS pixels of page around a QR code in its screenshot: more than six of its modules


# Where the image itself is drawn: the element's box inside any frame (border and padding) the page puts around it.
IMAGE_BOX = """(image) => {
    const box = image.getBoundingClientRect()
    const style = getComputedStyle(image)
    const inset = (side) => parseFloat(style[`border${side}Width`]) + parseFloat(style[`padding${side}`])
    return {
        x: box.left + inset('Left'),
        y: box.top + inset('Top'),
        width: box.width - inset('Left') - inset('Right'),
        height: box.height - inset('Top') - inset('Bottom'),
    }
}"""


def quiet_zone(page: Page, code: Locator) -> dict:
    """How many modules of light surround the QR code as the page shows it (at least 4 make it scannable)."""
    code.scroll_into_view_if_needed()
    box = code.evaluate(IMAGE_BOX)
    clip = {"x": max(box["x"] - MARGIN, 0), "y": max(box["y"] - MARGIN, 0)}
    clip.update(width=box["width"] + 2 * MARGIN, height=box["height"] + 2 * MARGIN)
    png = page.screenshot(clip=clip)
    inner = {
        "left": round(box["x"] - clip["x"]),
        "top": round(box["y"] - clip["y"]),
        "right": round(box["x"] - clip["x"] + box["width"]),
        "bottom": round(box["y"] - clip["y"] + box["height"]),
    }
    return page.evaluate(QUIET_ZONE, [base64.b64encode(png).decode("ascii"), inner])


def walk_the_matrix(walker: MatrixWalker, site: Site, smtp: SMTPSink) -> None:
    page = walker.page
    account = sign_up(page, site.url, smtp)
    for language in LANGUAGES:
        walker.switch_language(site, language)
        for name, path in SIGNED_IN.items():
            walker.visit(site, language, name, path)
            if name == "confirm-it-is-you":  # the pages after it ask for a recent confirmation
                confirm_with_the_password(page, account)
    walk_with_two_factor(walker, site, smtp, account)
    for language in LANGUAGES:
        walker.switch_language(site, language)
        for name, path in SIGNED_OUT.items():
            walker.visit(site, language, name, path)


def walk_with_two_factor(walker: MatrixWalker, site: Site, smtp: SMTPSink, account: Account) -> None:
    """Turn the authenticator app on, see its pages; log out, and see the second step of a log-in, then, that one
    cancelled, the step of a code asked for by email. Ends signed out."""
    page = walker.page
    page.goto(f"{site.url}/accounts/reauthenticate/?next=/accounts/2fa/totp/activate/")
    confirm_with_the_password(page, account)
    app = AuthenticatorApp(page.locator("#authenticator_secret").input_value())
    page.locator("#id_code").fill(app.code(spent=False))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    for language in LANGUAGES:
        walker.switch_language(site, language)
        for name, path in WITH_TWO_FACTOR.items():
            walker.visit(site, language, name, path)
    with page.expect_navigation():
        page.locator("header form button[type=submit]").click()  # log out
    page.goto(f"{site.url}/accounts/login/")
    page.locator("#id_login").fill(account.email)
    page.locator("#id_password").fill(account.password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    for language in LANGUAGES:
        walker.switch_language(site, language)
        walker.visit(site, language, "two-factor-step", HALF_WAY_IN["two-factor-step"])
    page.goto(f"{site.url}/accounts/login/code/")  # leaves the second step (accounts/views.py)
    page.locator("#id_email").fill(account.email)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    for language in LANGUAGES:
        walker.switch_language(site, language)
        walker.visit(site, language, "log-in-code-entry", HALF_WAY_IN["log-in-code-entry"])


def confirm_with_the_password(page: Page, account: Account) -> None:
    page.locator("#id_password").fill(account.password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


@pytest.fixture(scope="module")
def matrix(browser: Browser, site: Site, smtp: SMTPSink, tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    """Walk every page once per language and theme, at both widths; a walk that breaks off keeps the rest."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    walker = MatrixWalker(page, tmp_path_factory.mktemp("matrix"))
    try:
        walk_the_matrix(walker, site, smtp)
    except Exception:  # reported by test_the_matrix_reached_every_page_in_every_language
        walker.matrix.broken_off = traceback.format_exc()
        page.screenshot(path=SCREENSHOTS / "walk-broken-off.png", full_page=True)
    context.close()
    return walker.matrix


@pytest.fixture(scope="module")
def html_errors(matrix: Matrix) -> dict[Path, list[str]]:
    """The Nu checker, once for every page in both languages (the JVM starts once)."""
    return validate_html([results.html_file for results in matrix.results.values()])


def test_the_matrix_reached_every_page_in_every_language(matrix: Matrix) -> None:
    assert matrix.broken_off is None, f"the walk broke off after {list(matrix.results)[-1:]}:\n{matrix.broken_off}"
    statuses = {key: results.status for key, results in matrix.results.items()}
    assert statuses == {(language, name): EXPECTED_STATUS.get(name, 200) for language in LANGUAGES for name in PAGES}


def test_every_variant_has_a_screenshot(matrix: Matrix) -> None:
    expected = {
        SCREENSHOTS / f"{language}-{theme}-{width}-{name}.png"
        for language in LANGUAGES
        for theme in THEMES
        for width in WIDTHS
        for name in PAGES
    }
    assert set(matrix.screenshots) == expected
    assert all(path.stat().st_size > 0 for path in expected)


def test_every_title_is_the_page_then_the_site_name(matrix: Matrix) -> None:
    wrong = {key: r.title for key, r in matrix.results.items() if not re.fullmatch(r"[^·]+ · Vitae", r.title)}
    assert not wrong, wrong


def test_no_page_has_a_broken_resource_or_a_csp_violation(matrix: Matrix) -> None:
    broken = {key: r.browser_errors for key, r in matrix.results.items() if r.browser_errors}
    assert not broken, "\n".join(f"{key}: {errors}" for key, errors in broken.items())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation_in_either_theme_or_width(
    matrix: Matrix, name: str, language: str
) -> None:
    results = matrix.results.get((language, name))
    assert results, f"the walk never reached {name!r} in {language}"
    assert set(results.violations) == {f"{theme}-{width}" for theme in THEMES for width in WIDTHS}
    found = {variant: violations for variant, violations in results.violations.items() if violations}
    assert not found, "\n".join(f"{language} {variant} {name}:\n{describe(v)}" for variant, v in found.items())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_page_is_valid_html(matrix: Matrix, html_errors: dict[Path, list[str]], name: str, language: str) -> None:
    results = matrix.results.get((language, name))
    assert results, f"the walk never reached {name!r} in {language}"
    errors = html_errors[results.html_file]
    assert not errors, f"{language} {name}: {len(errors)} HTML error(s):\n" + "\n".join(errors)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_nothing_on_the_page_is_wider_than_a_phone_screen(matrix: Matrix, name: str, language: str) -> None:
    results = matrix.results.get((language, name))
    assert results, f"the walk never reached {name!r} in {language}"
    assert set(results.overflow) == set(THEMES)
    wide = {
        theme: found
        for theme, found in results.overflow.items()
        if found["offenders"] or found["scrollWidth"] > found["screen"]
    }
    assert not wide, f"{language} {name} at {PHONE} px: {wide}"


def test_every_qr_code_is_drawn_on_a_light_tile_with_a_quiet_zone(matrix: Matrix) -> None:
    """Four modules of light around a code at least, in both themes: a QR code drawn on a dark page does not scan."""
    drawn = {
        (language, name, variant): codes
        for (language, name), results in matrix.results.items()
        for variant, codes in results.qr_codes.items()
        if codes
    }
    assert {(language, variant) for language, name, variant in drawn if name == "authenticator-app"} == {
        (language, f"{theme}-{width}") for language in LANGUAGES for theme in THEMES for width in WIDTHS
    }, "the authenticator app's QR code was not found on its page"
    too_dark = {key: codes for key, codes in drawn.items() if any(code["modules"] < 4 for code in codes)}
    assert not too_dark, too_dark


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_a_page_has_one_solid_primary_button_at_most_and_cancel_is_never_solid(
    matrix: Matrix, name: str, language: str
) -> None:
    results = matrix.results.get((language, name))
    assert results, f"the walk never reached {name!r} in {language}"
    assert set(results.buttons) == set(THEMES)
    for theme, buttons in results.buttons.items():
        primary = [button["text"] for button in buttons if button["background"] == PRIMARY_FILL]
        assert len(primary) <= 1, f"{language} {theme} {name}: solid primary buttons {primary}"
        solid_cancel = [
            button for button in buttons if button["text"] in {"Cancel", "Abbrechen"} and is_solid(button["background"])
        ]
        assert not solid_cancel, f"{language} {theme} {name}: {solid_cancel}"


def is_solid(colour: str) -> bool:
    """A fill a person sees: any colour but a transparent one."""
    return colour not in {"transparent", "rgba(0, 0, 0, 0)"}


# --- The theme: chosen, remembered, and never a flash of the wrong one ------------------------------------------


@pytest.fixture
def dark_system_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(color_scheme="dark")
    yield context
    context.close()


def test_a_stored_dark_theme_is_set_before_any_deferred_script_runs(browser: Browser, site: Site) -> None:
    """The system says light, the person chose dark: the blocking script in <head> alone must make the page dark,
    before the first paint. The deferred scripts are refused, and the attribute is read as the HTML is parsed."""
    context = browser.new_context(color_scheme="light")
    context.add_init_script("window.localStorage.setItem('theme', 'dark');")
    # Read the attribute as soon as <body> exists, i.e. before anything is painted, while the parser runs.
    context.add_init_script(
        """new MutationObserver((changes, observer) => {
             if (document.body) {
               window.themeAtFirstBody = document.documentElement.getAttribute('data-bs-theme');
               observer.disconnect();
             }
           }).observe(document, {childList: true, subtree: true});"""
    )
    page = context.new_page()
    page.route(re.compile(r".*/(theme-switch|bootstrap\.bundle\.min)(\.[0-9a-f]+)?\.js$"), lambda route: route.abort())
    page.goto(f"{site.url}/accounts/login/", wait_until="domcontentloaded")
    assert page.evaluate("window.themeAtFirstBody") == "dark"
    assert page.locator("html").get_attribute("data-bs-theme") == "dark"
    expect(page.locator(".theme-switch")).to_be_hidden()  # its script never ran
    context.close()


def test_the_theme_follows_the_system_until_the_person_chooses(dark_system_context: BrowserContext, site: Site) -> None:
    page = dark_system_context.new_page()
    page.goto(f"{site.url}/")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    expect(page.get_by_role("radio", name="Auto")).to_be_checked()
    page.emulate_media(color_scheme="light")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")  # "auto" follows a change at once


def test_the_switch_works_with_the_keyboard_and_is_remembered(dark_system_context: BrowserContext, site: Site) -> None:
    page = dark_system_context.new_page()
    page.goto(f"{site.url}/accounts/login/")
    switch = page.get_by_role("group", name="Theme")
    expect(switch).to_be_visible()
    switch.get_by_role("radio", name="Auto").focus()
    page.keyboard.press("ArrowLeft")  # Auto → Dark
    page.keyboard.press("ArrowLeft")  # Dark → Light
    expect(switch.get_by_role("radio", name="Light")).to_be_checked()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    page.goto(f"{site.url}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")  # although the system is dark
    expect(page.get_by_role("radio", name="Light")).to_be_checked()
    page.get_by_role("radio", name="Auto").focus()
    page.keyboard.press("Space")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    assert page.evaluate("window.localStorage.getItem('theme')") is None


def test_without_javascript_the_page_stays_light_and_hides_the_switch(browser: Browser, site: Site) -> None:
    context = browser.new_context(color_scheme="dark", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site.url}/")
    assert page.locator("html").get_attribute("data-bs-theme") is None  # Bootstrap's light theme
    expect(page.locator(".theme-switch")).to_be_hidden()
    context.close()


def test_the_favicon_is_served(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/")
    for link in page.locator("link[rel=icon], link[rel=apple-touch-icon]").all():
        response = page.request.get(f"{site.url}{link.get_attribute('href')}")
        assert response.status == 200, link.get_attribute("href")
        assert response.headers["content-type"] in {
            "image/svg+xml",
            "image/x-icon",
            "image/vnd.microsoft.icon",
            "image/png",
        }


def test_on_a_phone_the_account_navigation_is_a_menu_that_marks_the_page(page: Page, site: Site, signed_up) -> None:
    signed_up()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.url}/accounts/activity/")
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Sessions")).to_be_hidden()
    account.get_by_role("button", name="Account menu").click()
    expect(account.get_by_role("link", name="Sessions")).to_be_visible()
    expect(account.locator("[aria-current=page]")).to_have_text("Security activity")
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(account.get_by_role("button", name="Account menu")).to_be_hidden()  # beside the page on a desktop
    expect(account.get_by_role("link", name="Sessions")).to_be_visible()
