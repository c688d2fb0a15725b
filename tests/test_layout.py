"""The tests' own shape: shared helpers come from tests/support only, and the folders mirror the code's."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
# The code's top-level folders and the test folders that mirror them (DESIGN.md, "Tests").
MIRRORS = {"services": "services", "portal_app/routes": "routes", "portal_app/auth": "auth"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    found |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return found


def test_no_test_module_or_conftest_is_imported_by_another() -> None:
    offenders = {}
    for path in TESTS.rglob("*.py"):
        borrowed = {
            m for m in imported_modules(path) if m.startswith("tests.") and not m.startswith(("tests.support.",))
        }
        if borrowed:
            offenders[str(path.relative_to(TESTS))] = sorted(borrowed)
    assert offenders == {}, "share helpers through tests/support/ (fixtures through conftest.py)"


def test_tests_sit_in_folders_that_mirror_the_code() -> None:
    loose = sorted(p.name for p in TESTS.glob("test_*.py") if p.name != Path(__file__).name)
    assert loose == [], "put each test module in the folder of the code it tests"
    for code, mirror in MIRRORS.items():
        assert (TESTS.parent / code).is_dir() and (TESTS / mirror).is_dir(), (code, mirror)
    domains = {p.name for p in (TESTS.parent / "services").iterdir() if (p / "__init__.py").exists()}
    tested = {p.name for p in (TESTS / "services").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert tested <= domains, f"test folders for domains that do not exist: {sorted(tested - domains)}"
