"""What is stored on disk, as an operator would list it."""

from pathlib import Path


def stored_files(root: Path) -> list[str]:
    """Every file under ``root`` (a media folder), relative to it, sorted."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
