"""Lessons as files and the loader that validates them into an in-memory catalog."""

from content.catalog import Catalog, Lesson, load_catalog
from content.errors import ContentError

__all__ = ["Catalog", "ContentError", "Lesson", "load_catalog"]
