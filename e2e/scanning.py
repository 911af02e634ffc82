"""Scanning pages in a real browser for the e2e suites: each page's HTML kept as served, axe-core run on it as shown,
broken resources and console errors noted; then the Nu checker over all of them in one run."""

import re
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Response

from testkit.html_checker import nu_errors

BLOCKING_IMPACTS = {"serious", "critical"}


@dataclass
class Scan:
    html_file: Path
    status: int
    violations: list[dict]
    browser_errors: list[str]


class PageScanner:
    """Keeps each page's HTML exactly as served and runs axe-core on it as the browser shows it."""

    def __init__(self, page: Page, html_dir: Path, screenshot_dir: Path, pages: list[str]) -> None:
        self.page = page
        self.pages = pages
        self.html_dir = html_dir
        self.screenshot_dir = screenshot_dir
        self.axe = Axe()
        self.scans: dict[str, Scan] = {}
        self.broken_off: str | None = None
        self.console_errors: list[str] = []
        self.failed_resources: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("response", self._check_resource)

    def _check_resource(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.failed_resources.append(f"{response.status} {response.url}")

    def record(self, name: str, response: Response | None) -> None:
        assert name in self.pages, f"{name!r} is not listed in the scan's pages"
        assert response is not None, f"{name}: no response"
        html_file = self.html_dir / f"{len(self.scans):02d}-{re.sub('[^a-z0-9]+', '-', name).strip('-')}.html"
        html_file.write_bytes(response.body())
        results = self.axe.run(self.page)
        violations = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if violations:
            self.screenshot_dir.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=self.screenshot_dir / f"{html_file.stem}.png", full_page=True)
        if response.status >= 400:
            # The browser reports the page's own error status in the console too; that one is intended.
            self.console_errors = [error for error in self.console_errors if "Failed to load resource" not in error]
        problems = self.failed_resources + self.console_errors
        self.scans[name] = Scan(html_file, response.status, violations, browser_errors=problems)
        self.console_errors, self.failed_resources = [], []

    def visit(self, name: str, url: str) -> None:
        self.record(name, self.page.goto(url))

    def submit(self, name: str, click: Callable[[], None]) -> None:
        """Submit a form and record the page it leads to (after any redirect)."""
        with self.page.expect_navigation() as navigation:
            click()
        self.record(name, navigation.value)

    def upload(self, name: str, click: Callable[[], None]) -> None:
        """Submit the profile form with a CV and record the page the server answers with: static/js/cv-upload.js
        posts the form itself (to show its progress) and puts that page in place of the edit page."""
        with self.page.expect_response(
            lambda response: response.request.resource_type == "xhr" and not 300 <= response.status < 400
        ) as answer:
            click()
        self.page.locator("#main [data-cv-progress]:not([hidden])").wait_for(state="detached")
        self.record(name, answer.value)

    def navigation(self) -> AbstractContextManager:
        return self.page.expect_navigation()


def scan_walk(
    browser: Browser,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    pages: list[str],
    walk: Callable[[PageScanner], None],
) -> PageScanner:
    """Walk through ``pages`` once in a browser context of its own, keeping every page it meets; a walk that breaks
    off keeps the pages before it, its traceback in ``broken_off`` and a screenshot of where it stopped."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    screenshots = Path(pytestconfig.getoption("--output")) / name
    scanner = PageScanner(page, tmp_path_factory.mktemp(name), screenshots, pages=pages)
    try:
        walk(scanner)
    except Exception:  # reported by each suite's test that the scan reached every page
        scanner.broken_off = traceback.format_exc()
        screenshots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshots / "walk-broken-off.png", full_page=True)
    context.close()
    return scanner


def validate_html(html_files: list[Path]) -> dict[Path, list[str]]:
    """The Nu checker's errors for every file, in one run (the JVM starts once), by the file as given."""
    errors = nu_errors(html_files)
    return {file: errors[file.resolve()] for file in html_files}


def blocking_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page as the browser shows it now."""
    return [v for v in Axe().run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            lines.extend(f"      {line}" for line in node.get("failureSummary", "").splitlines())
    return "\n".join(lines)
