"""``python -m bench``: measure the site under gunicorn against the ceiling, print and save the results."""

import argparse
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime

from testkit.http import Browser
from testkit.processes import Gunicorn

from . import breakdown, load, memory, queries, report, signup
from .pages import PAGES
from .workspace import EMAIL, PASSWORD, Workspace, prepare_site

# What each option is by default, and with --quick (a noisy run for development, a minute and a half).
FULL = {"rounds": 5, "seconds": 3, "uploads": 3, "signup_rounds": 8, "signups": 8, "requests": 300}
QUICK = {"rounds": 2, "seconds": 1, "uploads": 1, "signup_rounds": 2, "signups": 4, "requests": 50}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs: for development, not for results")
    parser.add_argument("--rounds", type=int, help=f"site/ceiling pairs per page (default {FULL['rounds']})")
    parser.add_argument("--seconds", type=int, help=f"length of one wrk run (default {FULL['seconds']})")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2, as issue 17 measured)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8, as issue 17)")
    parser.add_argument("--workers", type=int, help="gunicorn workers of site and ceiling (default: make serve's)")
    parser.add_argument(
        "--requests", type=int, help=f"in-process requests per page for the CPU breakdown (default {FULL['requests']})"
    )
    parser.add_argument("--uploads", type=int, help=f"uploads of each size (default {FULL['uploads']})")
    parser.add_argument(
        "--signup-rounds", type=int, help=f"ABBA alternations of the two mail servers (default {FULL['signup_rounds']})"
    )
    parser.add_argument("--signups", type=int, help=f"sign-ups per mail server per round (default {FULL['signups']})")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    arguments = parser.parse_args()
    for name, value in (QUICK if arguments.quick else FULL).items():
        if getattr(arguments, name) is None:
            setattr(arguments, name, value)
    return arguments


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("Installing wrk (Debian package)…", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def step(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:5.0f} s] {message}", flush=True)


def main() -> None:
    arguments = parse_arguments()
    ensure_wrk()
    started_at, started = datetime.now(UTC), time.monotonic()
    load_before = os.getloadavg()[0]
    workspace = Workspace.create()
    try:
        step(f"preparing a fresh database, media and static files in {workspace.root}", started)
        # Enough registered accounts that each sign-up for one is the first attempt at that address.
        prepare_site(workspace, registered=arguments.signup_rounds * arguments.signups)
        from django.conf import settings

        limit = settings.CV_MAX_UPLOAD_BYTES
        environment = workspace.site_environment()
        if arguments.workers:
            environment["GUNICORN_WORKERS"] = str(arguments.workers)
        ceiling_environment = {**environment, "DJANGO_SETTINGS_MODULE": "bench.ceiling.settings"}

        step("starting the site and the ceiling under gunicorn", started)
        with (
            Gunicorn("site", environment, workspace.logs) as site,
            Gunicorn(
                "ceiling", ceiling_environment, workspace.logs, wsgi="bench.ceiling.wsgi", ready_path="/"
            ) as ceiling,
        ):
            workers = len(site.worker_pids())
            browser = Browser(site.url)
            browser.log_in(EMAIL, PASSWORD)
            profile = browser.get("/profile/")
            if profile.status != 200 or EMAIL.encode() not in profile.body:
                raise RuntimeError("the signed-in session does not reach /profile/")
            cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME]}"
            step(f"load: {arguments.rounds} rounds of {len(PAGES)} pages, site then ceiling", started)
            driving = load.Load(threads=arguments.threads, connections=arguments.connections, seconds=arguments.seconds)
            load.warm_up(site, ceiling, cookie, driving)
            pages = load.measure_pages(site, ceiling, cookie=cookie, rounds=arguments.rounds, load=driving)

        session_cookie = browser.cookies[settings.SESSION_COOKIE_NAME]
        step("queries per page, in-process", started)
        counts = queries.count_queries(session_cookie)
        step(f"CPU breakdown per page, in-process: {arguments.requests} requests each, untraced and traced", started)
        costs = breakdown.measure_costs(
            session_cookie,
            requests=arguments.requests,
            profiles=report.RESULTS / f"{report.run_name(started_at)}-profiles",
        )

        step("uploads: a CV at the limit, then a 200 MiB one, to a one-worker site", started)
        with Gunicorn("site-uploads", {**environment, "GUNICORN_WORKERS": "1"}, workspace.logs) as single:
            uploader = Browser(single.url)
            uploader.log_in(EMAIL, PASSWORD)
            uploads = memory.measure_uploads(single, uploader, workspace, limit=limit, repeats=arguments.uploads)

        step("sign-ups: mail server answering at once against one answering after 2 s", started)
        signups = signup.measure_signups(workspace, rounds=arguments.signup_rounds, per_round=arguments.signups)

        results = report.Results(
            started=started_at,
            seconds=time.monotonic() - started,
            settings={
                "cpus": os.cpu_count(),
                # Other programs' load moves req/s far more than CPU per request: say how busy the machine was.
                "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
                "gunicorn_workers": workers,
                "quick": arguments.quick,
                "rounds": arguments.rounds,
                "seconds": arguments.seconds,
                "threads": arguments.threads,
                "connections": arguments.connections,
                "breakdown_requests": arguments.requests,
            },
            pages=pages,
            queries=counts,
            costs=costs,
            memory=uploads,
            signup=signups,
        )
        markdown_path, json_path = report.write(results)
        print()
        print(report.markdown(results))
        print(f"Saved {markdown_path} and {json_path}")
    finally:
        if arguments.keep:
            print(f"Kept {workspace.root}")
        else:
            workspace.remove()


if __name__ == "__main__":
    main()
