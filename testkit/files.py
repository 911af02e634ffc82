"""What is stored on disk, as an operator would list it, and the shape of a stored CV's name."""

import re
from pathlib import Path


def stored_files(root: Path) -> list[str]:
    """Every file under ``root`` (a media folder), relative to it, sorted."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def stored_cv_name(owner_id: int, extensions: str = "pdf|docx|odt") -> re.Pattern[str]:
    """A CV stored for user ``owner_id``: ``cvs/<pk>-<24 random URL-safe characters>.<extension>``."""
    return re.compile(rf"cvs/{owner_id}-[A-Za-z0-9_-]{{24}}\.({extensions})")
