"""A throw-away Redis server on a loopback port, and the faults an operator meets with one: stopped, hung, restarted.

Nothing is written to disk (no RDB, no AOF), so a restart comes back empty, as a cache server without persistence
does. ``hang()`` stops the process with SIGSTOP: connections are still accepted by the kernel, but nothing is ever
answered, which is what a frozen or overloaded server looks like to its clients.
"""

import os
import signal
from pathlib import Path

from .network import free_port, wait_until_listening
from .processes import Process
from .services import Service


class RedisServer(Service):
    """``with RedisServer(workdir) as redis:`` serves Redis at ``redis.url`` until the block ends."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        command = [
            "redis-server",
            *("--port", str(self.port)),
            *("--bind", "127.0.0.1"),
            *("--save", ""),
            *("--appendonly", "no"),
            *("--dir", str(workdir)),
        ]
        self.process = Process(f"redis-{self.port}", command, dict(os.environ), workdir)
        self.hung = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process.start()
        wait_until_listening(self.port)

    def stop(self) -> None:
        """SIGTERM, as ``systemctl stop redis`` sends it: from now on connections are refused."""
        self.resume()
        self.process.stop()

    def restart(self) -> None:
        """Stopped and started again on the same port: every key is gone."""
        self.stop()
        self.start()

    def hang(self) -> None:
        """SIGSTOP: the server keeps its port but answers nothing until ``resume()``."""
        os.kill(self.process.pid, signal.SIGSTOP)
        self.hung = True

    def resume(self) -> None:
        if self.hung:
            os.kill(self.process.pid, signal.SIGCONT)
            self.hung = False
