"""Sign-up latency with the database task backend: a mail server that answers at once against one after 2 s.

Two copies of the site run side by side, each with its own database, task worker (``manage.py db_worker``)
and aiosmtpd sink; the sign-ups alternate between them in rounds, in the order ABBA (so neither always goes
first after the other's burst). Both the servers and the workers are pointed at their sink, so any email sent
inside the request rather than queued would show up as latency here. Sign-up latency is mostly Argon2 hashing
on a shared machine, so single sign-ups vary by tens of per cent: the ratio comes with a bootstrap interval.
"""

import itertools
import random
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass

from testkit.http import Browser
from testkit.processes import Gunicorn, task_worker
from testkit.smtp import SMTPSink

from .workspace import Workspace

SLOW_MAIL_SECONDS = 2.0
BOOTSTRAP_RESAMPLES = 2000
# Sign-ups are sequential, so two workers per copy are plenty and keep start-up short on two cores.
SIGNUP_WORKERS = "2"
_numbers = itertools.count(1)


@dataclass
class Condition:
    label: str
    sink: SMTPSink
    server: Gunicorn
    seconds: list[float]


@dataclass
class SignupTimes:
    label: str
    signups: int
    p50_ms: float
    p99_ms: float
    emails_delivered: int


@dataclass
class SignupResult:
    instant: SignupTimes
    slow: SignupTimes
    p50_ratio: float
    p99_ratio: float
    p50_ratio_interval: tuple[float, float]  # 95 % bootstrap interval of p50_ratio
    samples: dict[str, list[float]]  # seconds of every timed sign-up, by mail server


def median_ratio_interval(slow: list[float], instant: list[float]) -> tuple[float, float]:
    """The 95 % bootstrap interval of median(slow) / median(instant): how far noise alone moves the ratio."""
    generator = random.Random(17)  # the same data always gives the same interval
    ratios = sorted(
        statistics.median(generator.choices(slow, k=len(slow)))
        / statistics.median(generator.choices(instant, k=len(instant)))
        for _ in range(BOOTSTRAP_RESAMPLES)
    )
    return ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]


def sign_up(server: Gunicorn) -> float:
    """One person signs up; only the POST is timed. Returns seconds."""
    browser = Browser(server.url)
    token = browser.csrf_token("/accounts/signup/")
    password = "a long bench password 42"
    fields = {
        "email": f"signup{next(_numbers)}-{time.time_ns()}@example.com",
        "password1": password,
        "password2": password,
    }
    started = time.perf_counter()
    reply = browser.submit("/accounts/signup/", token, fields)
    seconds = time.perf_counter() - started
    if reply.status != 302 or "confirm-email" not in reply.location:
        raise RuntimeError(f"sign-up gave {reply.status} {reply.location!r}")
    return seconds


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: with a few dozen samples, p99 is the slowest but none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def measure_signups(workspace: Workspace, *, rounds: int, per_round: int) -> SignupResult:
    with ExitStack() as stack:
        conditions = []
        for label, delay in (("instant", 0.0), ("slow", SLOW_MAIL_SECONDS)):
            sink = SMTPSink(delay=delay).start()
            stack.callback(sink.stop)
            environment = workspace.site_environment(
                workspace.copy_database(f"signup-{label}.sqlite3"),
                DJANGO_SETTINGS_MODULE="bench.site_settings",
                DJANGO_TASKS_BACKEND="database",
                EMAIL_URL=sink.url,
                GUNICORN_WORKERS=SIGNUP_WORKERS,
            )
            stack.enter_context(task_worker(f"worker-{label}", environment, workspace.logs))
            server = stack.enter_context(Gunicorn(f"site-{label}", environment, workspace.logs))
            conditions.append(Condition(label, sink, server, []))
        for condition in conditions:
            for _ in range(int(SIGNUP_WORKERS)):
                sign_up(condition.server)  # warm every worker: the first sign-up loads the password lists
        for number in range(rounds):
            for condition in conditions if number % 2 == 0 else reversed(conditions):
                condition.seconds += [sign_up(condition.server) for _ in range(per_round)]
        instant, slow = (
            SignupTimes(
                label=condition.label,
                signups=len(condition.seconds),
                p50_ms=statistics.median(condition.seconds) * 1000,
                p99_ms=percentile(condition.seconds, 0.99) * 1000,
                emails_delivered=len(condition.sink.messages),
            )
            for condition in conditions
        )
        samples = {condition.label: condition.seconds for condition in conditions}
    return SignupResult(
        instant,
        slow,
        slow.p50_ms / instant.p50_ms,
        slow.p99_ms / instant.p99_ms,
        median_ratio_interval(samples["slow"], samples["instant"]),
        samples,
    )
