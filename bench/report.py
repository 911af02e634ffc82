"""The results as a Markdown table with the targets checked, and both Markdown and JSON under bench/results/."""

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from .load import PageResult
from .memory import MIB, MemoryResult
from .queries import QueryCount
from .signup import SignupResult

RESULTS = Path(__file__).with_name("results")
CHUNK = 64 * 1024


@dataclass
class Results:
    started: datetime
    seconds: float
    settings: dict
    pages: list[PageResult]
    queries: list[QueryCount]
    memory: MemoryResult
    signup: SignupResult


@dataclass
class Target:
    name: str
    measured: str
    holds: bool


def targets(results: Results) -> list[Target]:
    pages = {page.page.split(" ")[0]: page for page in results.pages}
    ceiling = results.pages[-1]
    queries = {count.page.split(" ")[0]: count for count in results.queries}
    memory, signup = results.memory, results.signup
    upload_growth = max(memory.accepted_rss_growth_bytes, memory.refused_rss_growth_bytes)
    refused_disk = max(memory.refused_disk_growth_bytes, memory.refused_written_bytes)
    worst_tail = max((page for page in results.pages if page is not ceiling), key=lambda page: page.p99_over_p50)
    profile_queries = max(queries["/profile/"].cold, queries["/profile/"].warm)
    return [
        Target(
            "/profile/ ≥ 0.5 × ceiling req/s",
            f"{pages['/profile/'].ratio_to_ceiling:.2f} ×",
            pages["/profile/"].ratio_to_ceiling >= 0.5,
        ),
        Target(
            "/accounts/login/ ≥ 0.4 × ceiling req/s",
            f"{pages['/accounts/login/'].ratio_to_ceiling:.2f} ×",
            pages["/accounts/login/"].ratio_to_ceiling >= 0.4,
        ),
        Target(
            "p99 ≤ 3 × p50, every page",
            f"worst {worst_tail.p99_over_p50:.1f} × ({worst_tail.page}); the ceiling's own: "
            f"{ceiling.p99_over_p50:.1f} ×",
            worst_tail.p99_over_p50 <= 3,
        ),
        Target("/profile/ ≤ 2 queries", f"{profile_queries}", profile_queries <= 2),
        Target("sign-up p50, 2 s mail ≤ 1.2 × instant mail", f"{signup.p50_ratio:.2f} ×", signup.p50_ratio <= 1.2),
        Target("upload RSS growth ≤ 3 MiB", f"{upload_growth / MIB:.2f} MiB", upload_growth <= 3 * MIB),
        Target(
            "refused upload on disk ≤ limit + 64 KiB",
            f"{refused_disk / MIB:.2f} MiB (limit {memory.limit_bytes / MIB:.2f} MiB)",
            refused_disk <= memory.limit_bytes + CHUNK,
        ),
    ]


def markdown(results: Results) -> str:
    settings = results.settings
    lines = [
        f"Bench of {results.started:%Y-%m-%d %H:%M} UTC, {results.seconds:.0f} s, {settings['cpus']} CPUs, "
        f"{settings['gunicorn_workers']} gunicorn workers.",
        "",
        f"### Pages: wrk, {settings['rounds']} rounds × {settings['seconds']} s per page, "
        f"{settings['connections']} connections, alternating with the ceiling",
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
    lines.append(f"| ratio 2 s / at once | | {signup.p50_ratio:.2f} | {signup.p99_ratio:.2f} | |")
    lines += ["", "### Targets", "", "| target | measured | holds |", "|---|---|---|"]
    lines += [f"| {t.name} | {t.measured} | {'yes' if t.holds else '**no**'} |" for t in targets(results)]
    return "\n".join(lines) + "\n"


def write(results: Results) -> tuple[Path, Path]:
    """Write ``<timestamp>.json`` and ``.md``, and copies as ``latest.*``; return the Markdown and JSON paths."""
    RESULTS.mkdir(exist_ok=True)
    stamp = f"{results.started:%Y%m%d-%H%M%S}"
    data = {**asdict(results), "targets": [asdict(t) for t in targets(results)]}
    text, document = markdown(results), json.dumps(data, indent=2, default=str)
    for name in (stamp, "latest"):
        (RESULTS / f"{name}.md").write_text(text)
        (RESULTS / f"{name}.json").write_text(document)
    return RESULTS / f"{stamp}.md", RESULTS / f"{stamp}.json"
