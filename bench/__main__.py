"""``python -m bench``: measure the site under gunicorn against the ceiling, print and save the results."""

import argparse
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime

from testkit.http import Browser
from testkit.processes import Gunicorn

from . import load, memory, queries, report, signup
from .workspace import EMAIL, PASSWORD, Workspace, prepare_site


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="site/ceiling pairs per page (default 5)")
    parser.add_argument("--seconds", type=int, default=3, help="length of one wrk run (default 3)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--uploads", type=int, default=3, help="uploads of each size (default 3)")
    parser.add_argument("--signup-rounds", type=int, default=4, help="alternations of the two mail servers")
    parser.add_argument("--signups", type=int, default=8, help="sign-ups per mail server per round")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    return parser.parse_args()


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
    workspace = Workspace.create()
    try:
        step(f"preparing a fresh database, media and static files in {workspace.root}", started)
        prepare_site(workspace)
        from django.conf import settings

        limit = settings.CV_MAX_UPLOAD_BYTES
        environment = workspace.site_environment()
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
            step(f"load: {arguments.rounds} rounds of {len(load.PAGES)} pages, site then ceiling", started)
            load.warm_up(site, ceiling, cookie, arguments.connections)
            pages = load.measure_pages(
                site,
                ceiling,
                cookie=cookie,
                rounds=arguments.rounds,
                seconds=arguments.seconds,
                connections=arguments.connections,
            )

        step("queries per page, in-process", started)
        counts = queries.count_queries(browser.cookies[settings.SESSION_COOKIE_NAME])

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
                "gunicorn_workers": workers,
                "rounds": arguments.rounds,
                "seconds": arguments.seconds,
                "connections": arguments.connections,
            },
            pages=pages,
            queries=counts,
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
