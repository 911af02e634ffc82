"""The house as DESIGN.md draws it: one app per lifecycle, arrows pointing down only (profiles → accounts → security →
mail), web and config above them all, and no module importing another that imports it back."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.processes import PROJECT_DIR

pytestmark = pytest.mark.any_database


# What each part may import of the site's own code (it may always import itself).
MAY_IMPORT = {
    "mail": set(),
    "security": {"mail"},
    "accounts": {"security", "mail"},
    "profiles": {"accounts", "security", "mail"},
    "web": {"profiles", "accounts", "security", "mail"},
    "config": {"web", "profiles", "accounts", "security", "mail"},
}
APPS = ["mail", "security", "accounts", "profiles"]


def modules(part: str) -> Iterator[Path]:
    yield from (path for path in (PROJECT_DIR / part).rglob("*.py") if "migrations" not in path.parts)


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, absolute, wherever the import stands (inside a function too)."""
    package = ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            # "from accounts import cv" imports the module accounts.cv.
            yield from (f"{module}.{alias.name}" for alias in node.names)


def site_modules() -> dict[str, set[str]]:
    """Each of the site's modules, by dotted name, with the site's own modules it imports."""
    graph = {}
    for part in MAY_IMPORT:
        for path in modules(part):
            name = ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts).removesuffix(".__init__")
            graph[name] = {module for module in imported(path) if module.split(".")[0] in MAY_IMPORT}
    return graph


@pytest.mark.parametrize("part", MAY_IMPORT)
def test_each_part_imports_only_what_lies_below_it(part: str) -> None:
    allowed = {part} | MAY_IMPORT[part]
    wrong = {
        (name, module)
        for name, imports in site_modules().items()
        if name.split(".")[0] == part
        for module in imports
        if module.split(".")[0] not in allowed
    }
    assert not wrong, sorted(wrong)


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = site_modules()

    def resolve(module: str) -> str | None:
        # "from accounts import cv" names a module; "from accounts.cv import X" names one too.
        return module if module in graph else None

    edges = {
        name: {target for module in imports if (target := resolve(module)) and target != name}
        for name, imports in graph.items()
    }
    circles = []
    for start in edges:
        stack, seen = [(start, [start])], set()
        while stack:
            node, route = stack.pop()
            for target in edges[node]:
                if target == start:
                    circles.append(route)
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, [*route, target]))
    assert not circles, circles


def test_no_app_holds_half_of_the_applications_code() -> None:
    def lines(part: str) -> int:
        return sum(len([line for line in path.read_text().splitlines() if line.strip()]) for path in modules(part))

    sizes = {part: lines(part) for part in MAY_IMPORT}
    total = sum(sizes.values())
    assert all(size < total / 2 for size in sizes.values()), sizes


@pytest.mark.parametrize("app", APPS)
def test_each_apps_config_says_what_it_owns_and_may_import(app: str) -> None:
    docstring = ast.get_docstring(ast.parse((PROJECT_DIR / app / "apps.py").read_text())) or ""
    assert "Owns:" in docstring and "May import:" in docstring, docstring
