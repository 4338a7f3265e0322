"""Every fresh install is the tested one: each declared dependency is pinned in the lock files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pinned(lock: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / lock).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_lock_files_pin_every_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    test = {_name(r) for r in project["optional-dependencies"]["test"]}
    assert runtime - set(_pinned("requirements.lock")) == set()
    assert (runtime | test) - set(_pinned("requirements-dev.lock")) == set()


def test_runtime_and_dev_locks_agree() -> None:
    runtime, dev = _pinned("requirements.lock"), _pinned("requirements-dev.lock")
    assert {name: version for name, version in runtime.items() if dev.get(name) != version} == {}
