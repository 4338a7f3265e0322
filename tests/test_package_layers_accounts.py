"""Accounts sit below the audit log: the log imports accounts, accounts import nothing of the log."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (``from a import b`` counts as a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def package_imports(package: str) -> set[str]:
    modules: set[str] = set()
    for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
        modules |= imported_modules(path)
    return modules


def imports_package(modules: set[str], package: str) -> set[str]:
    return {name for name in modules if name == package or name.startswith(f"{package}.")}


def test_accounts_import_nothing_from_the_audit_log() -> None:
    assert imports_package(package_imports("webapp.accounts"), "webapp.audit") == set()


def test_the_audit_log_is_above_accounts() -> None:
    # the dependency that remains runs one way: entries point at accounts
    assert imports_package(package_imports("webapp.audit"), "webapp.accounts")


def test_imports_are_found_inside_functions_too(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from webapp.audit.service import record\n", encoding="utf-8")
    assert "webapp.audit.service" in imported_modules(module)
