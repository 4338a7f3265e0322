"""Topics and audiences: the tags every lesson and question carries; the roles training is for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from content.errors import ContentError
from content.yamlfile import load_yaml

LANGUAGES = ("zh_Hans", "en")


@dataclass(frozen=True)
class Tag:
    slug: str
    names: dict[str, str]
    kind: str = "topic"

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["zh_Hans"]


@dataclass(frozen=True)
class Taxonomy:
    topics: dict[str, Tag]
    audiences: dict[str, Tag]
    dimensions: dict[str, Tag]
    #: the key groups a unit's roster lists, each trained by a course (quizzes/courses.yaml)
    roles: dict[str, Tag]


def load_taxonomy(path: Path) -> Taxonomy:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
        topics = {t["slug"]: Tag(t["slug"], {lang: t[lang] for lang in LANGUAGES}) for t in raw["topics"]}
        dimensions = {
            d["slug"]: Tag(d["slug"], {lang: d[lang] for lang in LANGUAGES}, "dimension") for d in raw["dimensions"]
        }
        audiences = {
            a["slug"]: Tag(a["slug"], {lang: a[lang] for lang in LANGUAGES}, a["kind"]) for a in raw["audiences"]
        }
        roles = {r["slug"]: Tag(r["slug"], {lang: r[lang] for lang in LANGUAGES}, "role") for r in raw["roles"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ContentError([(path, f"cannot read taxonomy: {exc!r}")]) from exc
    return Taxonomy(topics=topics, audiences=audiences, dimensions=dimensions, roles=roles)
