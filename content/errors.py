"""The error every content loader raises: it names the file and the reason."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class ContentError(Exception):
    """A content file is broken; start-up must stop and say where and why."""

    def __init__(self, problems: Sequence[tuple[Path | str, str]]):
        self.problems = list(problems)
        super().__init__("\n".join(f"{path}: {reason}" for path, reason in problems))
