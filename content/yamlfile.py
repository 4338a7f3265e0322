"""YAML for content files: libyaml's safe loader when PyYAML was built with it (ten times faster
at start-up, and every app in the test suite loads the whole library), else the pure-Python one."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """:raises yaml.YAMLError: as ``yaml.safe_load`` does."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 (a safe loader)
