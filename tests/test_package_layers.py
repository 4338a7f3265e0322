"""Which domain packages may import which: campaigns record volunteers' service, so they know
volunteers; the volunteers domain asks for that service by signal and never imports campaigns."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (inside functions and TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


@pytest.mark.parametrize("path", sorted((ROOT / "webapp" / "volunteers").glob("*.py")), ids=lambda p: p.name)
def test_volunteers_modules_do_not_import_campaigns(path: Path) -> None:
    assert not [module for module in imported_modules(path) if within(module, "webapp.campaigns")]


def test_campaigns_may_import_volunteers() -> None:
    # the direction that stays: an activity lists the volunteers who served
    imports = imported_modules(ROOT / "webapp" / "campaigns" / "models.py")
    assert "webapp.volunteers.models" in imports


def test_loading_the_volunteers_domain_loads_no_campaigns_module() -> None:
    program = (
        "import sys\n"
        "import webapp.volunteers.service, webapp.person_data\n"
        "print(sorted(m for m in sys.modules if m == 'webapp.campaigns' or m.startswith('webapp.campaigns.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
