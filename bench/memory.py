"""Memory and disk of a gunicorn worker while a CV at the limit is accepted and a far larger one is refused.

Peak memory is the kernel's own high-water mark (VmHWM), reset just before each upload by writing 5 to
/proc/<pid>/clear_refs, and cross-checked by sampling VmRSS. Disk is measured twice: the peak size of the
server's TMPDIR plus the media folder, sampled every few milliseconds, and the bytes the worker passed to
write() (``wchar`` in /proc/<pid>/io), which catches a file that was written and deleted between samples.
"""

import threading
import time
from dataclasses import dataclass

from testkit.cv_files import make_pdf
from testkit.http import Browser, padded
from testkit.processes import Gunicorn

from .workspace import Workspace

MIB = 1024 * 1024
REFUSED_BYTES = 200 * MIB
SAMPLE_SECONDS = 0.002


def proc_fields(pid: int, name: str) -> dict[str, int]:
    """Numeric ``key: value`` lines of /proc/<pid>/<name>; sizes in /proc/<pid>/status are in KiB."""
    fields = {}
    with open(f"/proc/{pid}/{name}") as source:
        for line in source:
            key, _, value = line.partition(":")
            parts = value.split()
            if parts and parts[0].isdigit():
                fields[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return fields


def reset_peak(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


class Sampler(threading.Thread):
    """Keeps the peak VmRSS of one process and the peak size of some folders while it runs."""

    def __init__(self, pid: int, workspace: Workspace) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.workspace = workspace
        self.peak_rss = 0
        self.peak_folder_bytes = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak_rss = max(self.peak_rss, proc_fields(self.pid, "status")["VmRSS"])
            folder_bytes = self.workspace.folder_bytes(self.workspace.tmp, self.workspace.media)
            self.peak_folder_bytes = max(self.peak_folder_bytes, folder_bytes)
            time.sleep(SAMPLE_SECONDS)

    def stop(self) -> None:
        self.running = False
        self.join()


@dataclass
class Upload:
    size_bytes: int
    status: int
    accepted: bool
    seconds: float
    rss_before_bytes: int
    rss_peak_bytes: int
    rss_growth_bytes: int
    disk_growth_bytes: int
    written_bytes: int


def upload_once(server: Gunicorn, browser: Browser, workspace: Workspace, size: int) -> Upload:
    (pid,) = server.worker_pids()
    reset_peak(pid)
    before = proc_fields(pid, "status")["VmRSS"]
    folders_before = workspace.folder_bytes(workspace.tmp, workspace.media)
    written_before = proc_fields(pid, "io")["wchar"]
    sampler = Sampler(pid, workspace)
    sampler.start()
    started = time.perf_counter()
    reply = browser.upload_cv(padded(make_pdf(), size), size=size, fields={"first_name": "Bench", "last_name": "Mark"})
    seconds = time.perf_counter() - started
    sampler.stop()
    peak = max(proc_fields(pid, "status")["VmHWM"], sampler.peak_rss)
    return Upload(
        size_bytes=size,
        status=reply.status,
        accepted=reply.status == 302 and reply.location.endswith("/profile/"),
        seconds=seconds,
        rss_before_bytes=before,
        rss_peak_bytes=peak,
        rss_growth_bytes=peak - before,
        disk_growth_bytes=max(0, sampler.peak_folder_bytes - folders_before),
        written_bytes=proc_fields(pid, "io")["wchar"] - written_before,
    )


@dataclass
class MemoryResult:
    limit_bytes: int
    accepted: list[Upload]
    refused: list[Upload]
    accepted_rss_growth_bytes: int
    refused_rss_growth_bytes: int
    refused_disk_growth_bytes: int
    refused_written_bytes: int


def measure_uploads(
    server: Gunicorn, browser: Browser, workspace: Workspace, *, limit: int, repeats: int
) -> MemoryResult:
    """Warm the single worker with small uploads, then upload a CV at the limit and one of 200 MiB.

    Every figure reported is the worst of ``repeats`` uploads.
    """
    for _ in range(3):
        browser.get("/profile/edit/")
        upload_once(server, browser, workspace, 64 * 1024)
    accepted = [upload_once(server, browser, workspace, limit) for _ in range(repeats)]
    refused = [upload_once(server, browser, workspace, REFUSED_BYTES) for _ in range(repeats)]
    if not all(upload.accepted for upload in accepted):
        raise RuntimeError(f"a {limit}-byte CV was not accepted: {[upload.status for upload in accepted]}")
    if any(upload.accepted or upload.status != 200 for upload in refused):
        raise RuntimeError(f"a {REFUSED_BYTES}-byte CV was not refused: {[upload.status for upload in refused]}")
    return MemoryResult(
        limit_bytes=limit,
        accepted=accepted,
        refused=refused,
        accepted_rss_growth_bytes=max(upload.rss_growth_bytes for upload in accepted),
        refused_rss_growth_bytes=max(upload.rss_growth_bytes for upload in refused),
        refused_disk_growth_bytes=max(upload.disk_growth_bytes for upload in refused),
        refused_written_bytes=max(upload.written_bytes for upload in refused),
    )
