"""Throughput and latency of each page with wrk, alternating site and ceiling runs so both see the same noise."""

import json
import statistics
import subprocess
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from testkit.processes import Gunicorn

from .pages import PAGES, Page

REPORT_SCRIPT = Path(__file__).with_name("report.lua")
CEILING = "ceiling: / (bare Django hello)"


@dataclass
class WrkRun:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    bad_status: int
    server_cpu_ms_per_request: float = 0.0


@dataclass(frozen=True)
class Load:
    """How wrk drives a server: ``threads`` and ``connections`` as wrk's -t and -c, ``seconds`` per run."""

    threads: int
    connections: int
    seconds: int


def wrk(url: str, load: Load, *, seconds: int | None = None, cookie: str | None = None) -> WrkRun:
    """One wrk run; ``bad_status`` counts 4xx/5xx answers, ``errors`` socket errors and timeouts."""
    seconds = load.seconds if seconds is None else seconds
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(REPORT_SCRIPT),
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    report = json.loads(next(line for line in reversed(output.splitlines()) if line.startswith("{")))
    return WrkRun(
        requests=report["requests"],
        requests_per_second=report["requests"] / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        max_ms=report["max_us"] / 1000,
        errors=report["errors"],
        bad_status=report["bad_status"],
    )


def drive(server: Gunicorn, path: str, load: Load, *, cookie: str | None = None) -> WrkRun:
    """A wrk run against ``server``, with the server's CPU milliseconds per request during it.

    CPU time per request barely moves when other programs load the machine, unlike requests per second.
    """
    cpu_before = server.cpu_seconds()
    run = wrk(server.url + path, load, cookie=cookie)
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000
    return replace(run, server_cpu_ms_per_request=cpu_ms / max(run.requests, 1))


@dataclass
class PageResult:
    page: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    ceiling_requests_per_second: float
    ratio_to_ceiling: float
    p99_over_p50: float
    cpu_ms_per_request: float
    cpu_ratio_to_ceiling: float
    errors: int
    bad_status: int
    rounds: list[dict]


def warm_up(site: Gunicorn, ceiling: Gunicorn, cookie: str, load: Load) -> None:
    """Let every worker import, compile templates and fill its caches before anything is recorded."""
    for page in PAGES:
        wrk(site.url + page.path, load, seconds=1, cookie=cookie if page.signed_in else None)
    wrk(ceiling.url + "/", load, seconds=1)


def measure_pages(site: Gunicorn, ceiling: Gunicorn, *, cookie: str, rounds: int, load: Load) -> list[PageResult]:
    """For each round and page: a site run, then a ceiling run right after it; medians over the rounds.

    The ratio is taken per pair (site run / the ceiling run next to it) before the median, so a burst of
    load from elsewhere on the machine lowers both sides of one ratio rather than one side of another.
    """
    runs: dict[Page, list[tuple[WrkRun, WrkRun]]] = {page: [] for page in PAGES}
    for _ in range(rounds):
        for page in PAGES:
            site_run = drive(site, page.path, load, cookie=cookie if page.signed_in else None)
            ceiling_run = drive(ceiling, "/", load)
            runs[page].append((site_run, ceiling_run))
    results = [summarise(page.label, pairs) for page, pairs in runs.items()]
    failing = [result.page for result in results if result.bad_status]
    if failing:
        raise RuntimeError(f"4xx/5xx answers under load from {', '.join(failing)}: the numbers would be meaningless")
    every_ceiling_run = [(ceiling_run, ceiling_run) for pairs in runs.values() for _, ceiling_run in pairs]
    results.append(summarise(CEILING, every_ceiling_run))
    return results


def summarise(label: str, pairs: list[tuple[WrkRun, WrkRun]]) -> PageResult:
    sites = [site_run for site_run, _ in pairs]
    return PageResult(
        page=label,
        requests_per_second=statistics.median(run.requests_per_second for run in sites),
        p50_ms=statistics.median(run.p50_ms for run in sites),
        p99_ms=statistics.median(run.p99_ms for run in sites),
        ceiling_requests_per_second=statistics.median(ceiling.requests_per_second for _, ceiling in pairs),
        ratio_to_ceiling=statistics.median(s.requests_per_second / c.requests_per_second for s, c in pairs),
        p99_over_p50=statistics.median(run.p99_ms / run.p50_ms for run in sites),
        cpu_ms_per_request=statistics.median(run.server_cpu_ms_per_request for run in sites),
        cpu_ratio_to_ceiling=statistics.median(
            c.server_cpu_ms_per_request / s.server_cpu_ms_per_request for s, c in pairs
        ),
        errors=sum(run.errors for run in sites),
        bad_status=sum(run.bad_status for run in sites),
        rounds=[{"site": asdict(s), "ceiling": asdict(c)} for s, c in pairs],
    )
