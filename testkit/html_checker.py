"""The W3C Nu HTML checker (vnu.jar from npm), run once over many files: the JVM starts once per batch."""

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from testkit.processes import PROJECT_DIR

VNU_JAR = PROJECT_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_errors(files: Iterable[Path]) -> dict[Path, list[str]]:
    """Every error the checker reports, by file (a file without errors maps to an empty list)."""
    assert VNU_JAR.is_file(), f"{VNU_JAR} is missing: run `npm ci`"
    assert shutil.which("java"), "java is needed for the Nu HTML checker"
    paths = [Path(file).resolve() for file in files]
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.startswith("{"), f"the Nu checker did not run:\n{result.stderr}"
    errors: dict[Path, list[str]] = {path: [] for path in paths}
    for message in json.loads(result.stdout)["messages"]:
        if message["type"] in {"error", "non-document-error"}:
            path = Path(message["url"].removeprefix("file:"))
            errors.setdefault(path, []).append(f"{path.name}:{message.get('lastLine', '?')}: {message['message']}")
    return errors
