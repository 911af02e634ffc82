"""A disk that fills up, for real: a small tmpfs mounted for a test, and a filler file that takes its last byte."""

import errno
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FILLER = "filler"


@contextmanager
def tiny_disk(mount_point: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` (``mount -o size=…``) at ``mount_point``, unmounted after the block."""
    mount_point.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def fill(disk: Path, *, leave: int = 8 * 1024) -> None:
    """Write a filler file until the disk is full, then give back ``leave`` bytes."""
    block = b"\0" * 4096
    with open(disk / FILLER, "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(block)
        except OSError as error:
            assert error.errno == errno.ENOSPC
        filler.truncate(max(0, filler.tell() - leave))


@contextmanager
def filled(disk: Path) -> Iterator[None]:
    """Inside the block the disk has not one byte free; after it, the filler is gone again."""
    fill(disk, leave=0)
    try:
        yield
    finally:
        (disk / FILLER).unlink()
