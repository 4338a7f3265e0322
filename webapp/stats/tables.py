"""The dashboard's tables as rows, for CSV and XLSX exports."""

from __future__ import annotations

from flask_babel import gettext as _

from webapp.stats.dashboard import Dashboard
from webapp.stats.figures import Figure
from webapp.stats.labels import status_label


def _share(figure: Figure) -> list:
    rounded = [None if v is None else round(v, 4) for v in (figure.value, figure.low, figure.high)]
    return [*rounded, figure.target, status_label(figure.status)]


def children_table(board: Dashboard, lang: str, children: list | None = None) -> tuple[list[str], list[list]]:
    """One row per child region (or the region itself when it has none), in the order of
    ``children`` when given: the order the desk shows them in."""
    headers = [
        _("Code"),
        _("Region"),
        _("Population"),
        _("Respondents"),
        _("Awareness rate"),
        _("Lower bound"),
        _("Upper bound"),
        _("Target"),
        _("Status"),
        _("Pass share"),
        _("Usage: residents active"),
        _("Usage rate"),
        _("Usage target"),
        _("Usage status"),
        _("Education: residents reached"),
        _("Education reach"),
        _("Offline participants"),
        _("Incomplete surveys"),
        _("Surveys too fast to count"),
        _("Active volunteers"),
        _("Period"),
    ]
    rows = []
    for region, figures in (board.children if children is None else children) or [(board.region, board.figures)]:
        rows.append(
            [
                region.code,
                region.name(lang),
                figures.population,
                figures.awareness.n,
                *_share(figures.awareness),
                None if figures.pass_share.value is None else round(figures.pass_share.value, 4),
                figures.usage.count,
                None if figures.usage.value is None else round(figures.usage.value, 4),
                figures.usage.target,
                status_label(figures.usage.status),
                figures.education.count,
                None if figures.education.value is None else round(figures.education.value, 4),
                figures.offline_participants,
                figures.invalid_surveys,
                figures.too_fast_surveys,
                board.children_volunteers.get(region.id, 0) if board.children else None,
                board.period.key,
            ]
        )
    return headers, rows


def trend_table(board: Dashboard) -> tuple[list[str], list[list]]:
    """The twelve-month trend as the desk's "trend as a table" shows it."""
    headers = [_("Month"), _("Respondents"), _("Awareness rate"), _("Usage rate")]
    rows = [[month, aware.n, _rounded(aware.value), _rounded(usage.value)] for month, aware, usage in board.trend]
    return headers, rows


def topics_table(board: Dashboard, topics: dict, lang: str) -> tuple[list[str], list[list]]:
    """Accuracy by topic, in the desk's order (the taxonomy's)."""
    headers = [_("Topic"), _("Answers"), _("Correct")]
    rows = []
    for slug, tag in topics.items():
        figure = board.topics.get(slug)
        rows.append([tag.name(lang), figure.n if figure else 0, _rounded(figure.value) if figure else None])
    return headers, rows


def activities_table(board: Dashboard) -> tuple[list[str], list[list]]:
    """Activities by channel and kind, in the desk's order."""
    from webapp.campaigns.labels import channel_label, kind_label

    headers = [_("Channel"), _("Kind"), _("Activities"), _("Participants")]
    rows = [
        [channel_label(channel), kind_label(kind), count, people]
        for (channel, kind), (count, people) in sorted(board.activities.items())
    ]
    return headers, rows


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
