"""The results as Markdown tables with every target marked met or missed, saved as Markdown and JSON under
bench/results/."""

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from .breakdown import BUCKETS, PageCost
from .load import PageResult
from .memory import MIB, MemoryResult
from .pages import PAGES, PROFILE
from .queries import QueryCount
from .signup import SignupResult

RESULTS = Path(__file__).with_name("results")
CHUNK = 64 * 1024
UPLOAD_GROWTH_LIMIT = 3 * MIB
SIGNUP_SLOWDOWN_LIMIT = 1.2


@dataclass
class Results:
    started: datetime
    seconds: float
    settings: dict
    pages: list[PageResult]  # the ceiling last
    queries: list[QueryCount]
    costs: list[PageCost]
    memory: MemoryResult
    signup: SignupResult


@dataclass
class Target:
    name: str
    measured: str
    met: bool


def targets(results: Results) -> list[Target]:
    """Issue 24's targets for every page that has one (bench/pages.py), then sign-up and uploads."""
    load = {page.page: page for page in results.pages}
    ceiling = results.pages[-1]
    queries = {count.page: count for count in results.queries}
    found = []
    for page in PAGES:
        if page.min_ratio is not None:
            ratio = load[page.label].ratio_to_ceiling
            found.append(
                Target(
                    f"{page.name}: ≥ {page.min_ratio:.2f} × ceiling req/s", f"{ratio:.2f} ×", ratio >= page.min_ratio
                )
            )
    profile = next(page for page in PAGES if page.name == PROFILE)
    for page in PAGES:
        if page.max_slowdown is not None:
            slowdown = load[profile.label].ratio_to_ceiling / load[page.label].ratio_to_ceiling
            found.append(
                Target(
                    f"{page.name}: ≤ {page.max_slowdown:g} × slower than the {PROFILE} page",
                    f"{slowdown:.2f} ×",
                    slowdown <= page.max_slowdown,
                )
            )
    for page in PAGES:
        tail = load[page.label].p99_over_p50
        found.append(
            Target(
                f"{page.name}: p99/p50 ≤ the ceiling's ({ceiling.p99_over_p50:.1f})",
                f"{tail:.1f}",
                tail <= ceiling.p99_over_p50,
            )
        )
    for page in PAGES:
        if page.max_queries is not None:
            most = queries[page.label].most
            found.append(Target(f"{page.name}: {budget(page.max_queries)}", f"{most}", most <= page.max_queries))
    signup, memory = results.signup, results.memory
    low, high = signup.p50_ratio_interval
    upload_growth = max(memory.accepted_rss_growth_bytes, memory.refused_rss_growth_bytes)
    refused_disk = max(memory.refused_disk_growth_bytes, memory.refused_written_bytes)
    found += [
        Target(
            f"sign-up with the 2 s mail server ≤ {SIGNUP_SLOWDOWN_LIMIT} × with the instant one (p50, per round)",
            f"{signup.p50_ratio:.2f} × (95 % interval {low:.2f}–{high:.2f})",
            signup.p50_ratio <= SIGNUP_SLOWDOWN_LIMIT,
        ),
        Target(
            f"upload RSS growth ≤ {UPLOAD_GROWTH_LIMIT / MIB:.0f} MiB",
            f"{upload_growth / MIB:.2f} MiB",
            upload_growth <= UPLOAD_GROWTH_LIMIT,
        ),
        Target(
            "refused upload on disk ≤ limit + 64 KiB",
            f"{refused_disk / MIB:.2f} MiB (limit {memory.limit_bytes / MIB:.2f} MiB)",
            refused_disk <= memory.limit_bytes + CHUNK,
        ),
    ]
    return found


def budget(queries: int) -> str:
    return "no query" if queries == 0 else f"at most {queries} quer{'y' if queries == 1 else 'ies'}"


def markdown(results: Results) -> str:
    settings = results.settings
    lines = [
        f"Bench of {results.started:%Y-%m-%d %H:%M} UTC, {results.seconds:.0f} s, {settings['cpus']} CPUs, "
        f"{settings['gunicorn_workers']} gunicorn workers, load average {settings['load_average'][0]} before "
        f"and {settings['load_average'][1]} after."
        + (" A --quick run: too few samples for conclusions." if settings.get("quick") else ""),
        "",
        f"### Pages: wrk -t{settings['threads']} -c{settings['connections']}, {settings['rounds']} rounds × "
        f"{settings['seconds']} s per page, alternating with the ceiling",
        "",
        "| page | req/s | × ceiling | p50 ms | p99 ms | p99 / p50 | server CPU ms/req | × ceiling by CPU "
        "| queries warm (cold) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    counts = {count.page: count for count in results.queries}
    for page in results.pages:
        count = counts.get(page.page)
        queries = f"{count.warm} ({count.cold})" if count else "0"
        lines.append(
            f"| {page.page} | {page.requests_per_second:.0f} | {page.ratio_to_ceiling:.2f} | {page.p50_ms:.1f} "
            f"| {page.p99_ms:.1f} | {page.p99_over_p50:.1f} | {page.cpu_ms_per_request:.2f} "
            f"| {page.cpu_ratio_to_ceiling:.2f} | {queries} |"
        )
    requests = results.costs[0].requests if results.costs else 0
    lines += [
        "",
        f"### Where the CPU goes: ms per request in-process, mean of {requests} requests per page",
        "",
        "| page | " + " | ".join(BUCKETS) + " | total | untraced |",
        "|---|" + "---:|" * (len(BUCKETS) + 2),
    ]
    for cost in results.costs:
        shares = " | ".join(
            f"{cost.cpu_ms[bucket]:.2f} ({cost.cpu_ms[bucket] / cost.traced_total_ms:.0%})" for bucket in BUCKETS
        )
        lines.append(f"| {cost.page} | {shares} | {cost.traced_total_ms:.2f} | {cost.untraced_total_ms:.2f} |")
    memory = results.memory
    lines += [
        "",
        f"### Uploads to /profile/edit/: one worker, CV_MAX_UPLOAD_BYTES = {memory.limit_bytes} (worst of "
        f"{len(memory.accepted)})",
        "",
        "| upload | answer | RSS before MiB | peak RSS MiB | growth MiB | on disk MiB | written MiB | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, uploads in (("accepted", memory.accepted), ("refused", memory.refused)):
        worst = max(uploads, key=lambda upload: upload.rss_growth_bytes)
        disk = max(upload.disk_growth_bytes for upload in uploads)
        written = max(upload.written_bytes for upload in uploads)
        lines.append(
            f"| {worst.size_bytes / MIB:.0f} MiB CV | {worst.status} {kind} | {worst.rss_before_bytes / MIB:.1f} "
            f"| {worst.rss_peak_bytes / MIB:.1f} | {worst.rss_growth_bytes / MIB:.2f} | {disk / MIB:.2f} "
            f"| {written / MIB:.2f} | {max(upload.seconds for upload in uploads):.2f} |"
        )
    signup = results.signup
    low, high = signup.p50_ratio_interval
    lines += [
        "",
        "### Sign-up POST, database task backend, with a task worker",
        "",
        "| mail server | sign-ups | p50 ms | p99 ms | emails delivered meanwhile |",
        "|---|---:|---:|---:|---:|",
    ]
    for times in (signup.instant, signup.slow):
        name = "answers at once" if times.label == "instant" else "answers after 2 s"
        lines.append(
            f"| {name} | {times.signups} | {times.p50_ms:.0f} | {times.p99_ms:.0f} | {times.emails_delivered} |"
        )
    lines.append(
        f"| ratio 2 s / at once | | {signup.p50_ratio:.2f} per round (95 % {low:.2f}–{high:.2f}) "
        f"| {signup.p99_ratio:.2f} | |"
    )
    enumeration = signup.enumeration
    low, high = enumeration.p50_ratio_interval
    lines += [
        "",
        "### Sign-up POST for an address that has an account against a new one (mail server answering at once)",
        "",
        "| address | sign-ups | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for address in (enumeration.new, enumeration.registered):
        name = "new" if address.label == "new" else "has an account"
        lines.append(f"| {name} | {address.signups} | {address.p50_ms:.0f} | {address.p99_ms:.0f} |")
    lines.append(
        f"| ratio has an account / new | | {enumeration.p50_ratio:.2f} per round (95 % {low:.2f}–{high:.2f}) | |"
    )
    lines += ["", "### Targets", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {t.name} | {t.measured} | {'met' if t.met else '**missed**'} |" for t in targets(results)]
    return "\n".join(lines) + "\n"


def write(results: Results) -> tuple[Path, Path]:
    """Write ``<timestamp>.json`` and ``.md``, and copies as ``latest.*``; return the Markdown and JSON paths."""
    RESULTS.mkdir(exist_ok=True)
    stamp = run_name(results.started)
    data = {**asdict(results), "targets": [asdict(t) for t in targets(results)]}
    text, document = markdown(results), json.dumps(data, indent=2, default=str)
    for name in (stamp, "latest"):
        (RESULTS / f"{name}.md").write_text(text)
        (RESULTS / f"{name}.json").write_text(document)
    return RESULTS / f"{stamp}.md", RESULTS / f"{stamp}.json"


def run_name(started: datetime) -> str:
    return f"{started:%Y%m%d-%H%M%S}"
