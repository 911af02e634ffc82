"""Sign-up latency with the database task backend: a mail server that answers at once against one after 2 s, and
an address that already has an account against a new one.

Two copies of the site run side by side, each with its own database, task worker (``manage.py task_worker``)
and aiosmtpd sink; the sign-ups alternate between them in rounds, in the order ABBA (so neither always goes
first after the other's burst). Both the servers and the workers are pointed at their sink, so any email sent
inside the request rather than queued would show up as latency here.

Sign-up latency is mostly Argon2 hashing, and on a shared machine the load of other programs moves it by a
factor of two within a minute. So the ratio is taken per round, as the page ratios are taken per pair: the
median over rounds of (the 2 s round's median ÷ the instant round's median, run back to back), with a 95 %
bootstrap interval that resamples rounds and the sign-ups within them.

Then, on the copy with the instant mail server, sign-ups for addresses that already have an account (seeded by
``prepare_site``, each tried once, as an attacker's first probe) alternate in rounds with sign-ups for new
addresses, and the same per-round ratio (registered ÷ new) is printed: what an attacker timing the sign-up
would see. It is measured, not judged: tests/accounts/test_signup_enumeration.py asserts its cause (one password
hash either way, no mail sent inside the request).
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

from .workspace import Workspace, registered_email

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
    rounds: list[list[float]]

    @property
    def seconds(self) -> list[float]:
        return [seconds for round_ in self.rounds for seconds in round_]


@dataclass
class SignupTimes:
    label: str
    signups: int
    p50_ms: float
    p99_ms: float
    emails_delivered: int


@dataclass
class AddressTimes:
    label: str
    signups: int
    p50_ms: float
    p99_ms: float


@dataclass
class EnumerationResult:
    """Sign-up for an address that has an account against one for a new address, instant mail server."""

    new: AddressTimes
    registered: AddressTimes
    p50_ratio: float  # median over rounds of (registered round median ÷ new round median); no target
    p50_ratio_interval: tuple[float, float]  # 95 % bootstrap interval of p50_ratio
    rounds: dict[str, list[list[float]]]  # seconds of every timed sign-up, by kind of address and round


@dataclass
class SignupResult:
    instant: SignupTimes
    slow: SignupTimes
    p50_ratio: float  # median over rounds of the per-round ratio of medians: the target
    p99_ratio: float  # of the pooled p99s
    p50_ratio_interval: tuple[float, float]  # 95 % bootstrap interval of p50_ratio
    rounds: dict[str, list[list[float]]]  # seconds of every timed sign-up, by mail server and round
    enumeration: EnumerationResult


def per_round_ratio(numerator: list[list[float]], denominator: list[list[float]]) -> float:
    """The median over rounds of median(numerator's round) ÷ median(denominator's round)."""
    return statistics.median(
        statistics.median(top) / statistics.median(bottom) for top, bottom in zip(numerator, denominator, strict=True)
    )


def per_round_ratio_interval(numerator: list[list[float]], denominator: list[list[float]]) -> tuple[float, float]:
    """The 95 % bootstrap interval of ``per_round_ratio``: rounds resampled, then the sign-ups within each."""
    generator = random.Random(17)  # the same data always gives the same interval

    def resampled(values: list[float]) -> list[float]:
        return generator.choices(values, k=len(values))

    ratios = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        picked = generator.choices(range(len(numerator)), k=len(numerator))
        ratios.append(
            per_round_ratio(
                [resampled(numerator[number]) for number in picked],
                [resampled(denominator[number]) for number in picked],
            )
        )
    ratios.sort()
    return ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]


def sign_up(server: Gunicorn, email: str | None = None) -> float:
    """One person signs up (with a new address unless ``email`` is given); only the POST is timed. Returns seconds.

    An address that has an account is answered exactly as a new one (enumeration prevention), so both must reach
    the page that asks to confirm the address."""
    browser = Browser(server.url)
    token = browser.csrf_token("/accounts/signup/")
    password = "a long bench password 42"
    fields = {
        "email": email or f"signup{next(_numbers)}-{time.time_ns()}@example.com",
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
            conditions.append(Condition(label, sink, server, rounds=[]))
        for condition in conditions:
            for _ in range(int(SIGNUP_WORKERS)):
                sign_up(condition.server)  # warm every worker: the first sign-up loads the password lists
        for number in range(rounds):
            for condition in conditions if number % 2 == 0 else reversed(conditions):
                condition.rounds.append([sign_up(condition.server) for _ in range(per_round)])
        enumeration = measure_registered_against_new(conditions[0].server, rounds=rounds, per_round=per_round)
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
        timed = {condition.label: condition.rounds for condition in conditions}
    return SignupResult(
        instant,
        slow,
        per_round_ratio(timed["slow"], timed["instant"]),
        slow.p99_ms / instant.p99_ms,
        per_round_ratio_interval(timed["slow"], timed["instant"]),
        timed,
        enumeration,
    )


def measure_registered_against_new(server: Gunicorn, *, rounds: int, per_round: int) -> EnumerationResult:
    """Rounds of sign-ups for new addresses and for seeded, registered ones, alternating which kind goes first."""
    registered = (registered_email(number) for number in itertools.count())
    timed: dict[str, list[list[float]]] = {"new": [], "registered": []}
    for number in range(rounds):
        for kind in ("new", "registered") if number % 2 == 0 else ("registered", "new"):
            timed[kind].append(
                [sign_up(server, next(registered) if kind == "registered" else None) for _ in range(per_round)]
            )
    new, known = (
        AddressTimes(
            label=kind,
            signups=sum(len(round_) for round_ in timed[kind]),
            p50_ms=statistics.median(seconds for round_ in timed[kind] for seconds in round_) * 1000,
            p99_ms=percentile([seconds for round_ in timed[kind] for seconds in round_], 0.99) * 1000,
        )
        for kind in ("new", "registered")
    )
    return EnumerationResult(
        new,
        known,
        per_round_ratio(timed["registered"], timed["new"]),
        per_round_ratio_interval(timed["registered"], timed["new"]),
        timed,
    )
