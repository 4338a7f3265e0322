"""Package layers: content knows nothing of quizzes; quizzes and lessons know nothing of the statistics.

The statistics read what quizzes and lessons store (the rollup applier, webapp.stats.applier,
counts their rows), and the library of all content lives with the quizzes (quizzes.library).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: (package folder, the modules it must not import, not even inside a function)
LAYERS = [
    ("content", "quizzes"),
    ("quizzes", "webapp.stats"),
    ("webapp/learn", "webapp.stats"),
]


def imported_modules(path: Path) -> Iterator[str]:
    """Every module a file imports, ``from a import b`` counting as both ``a`` and ``a.b``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def is_within(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(f"{forbidden}.")


@pytest.mark.parametrize(("package", "forbidden"), LAYERS)
def test_a_package_does_not_import_the_layer_above_it(package: str, forbidden: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}"
    found = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in files
        for module in imported_modules(path)
        if is_within(module, forbidden)
    )
    assert not found, f"{package} imports {forbidden}:\n" + "\n".join(found)


def test_the_check_finds_an_import_inside_a_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from webapp import stats\n    import quizzes.bank\n", encoding="utf-8")
    modules = list(imported_modules(sample))
    assert any(is_within(module, "webapp.stats") for module in modules)
    assert any(is_within(module, "quizzes") for module in modules)
    assert not is_within("quizzes_old", "quizzes")
