"""The bulletin (通报) a committee sends: the dashboard's figures in an official layout, as PDF
(rendered on the server by WeasyPrint from the same HTML the site prints) and as Word (python-docx).

One :class:`Bulletin` holds what both formats say — title, period, issuing committee, the summary
sentence of which areas met their targets, the headline figures, the ranking, the method note —
so the two cannot drift apart.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext as _

from webapp.regions.models import RegionView
from webapp.stats.dashboard import Dashboard
from webapp.stats.figures import MET, NOT_MET, Figure
from webapp.stats.indicators import Indicators
from webapp.stats.labels import INDICATOR_LABELS, INDICATOR_NOTES, interval, percent, period_label, status_label
from webapp.training.desk import TrainingDesk


@dataclass(frozen=True)
class HeadlineRow:
    label: str
    value: str
    interval: str
    n: int
    target: str
    status: str


@dataclass(frozen=True)
class RankRow:
    rank: int
    area: str
    respondents: int
    awareness: str
    interval: str
    status: str
    usage: str
    education: str


@dataclass(frozen=True)
class Bulletin:
    title: str
    period: str
    committee: str
    summary: str
    headline: list[HeadlineRow]
    ranking: list[RankRow]
    method: list[tuple[str, str]]
    demo: bool


def _headline_figures(board: Dashboard) -> list[tuple[str, Figure]]:
    f, m = board.figures, board.monitoring
    awareness = [("monitoring", m.awareness), ("monitoring_pass_share", m.pass_share)] if m else []
    online = [("awareness", f.awareness.against(None) if m else f.awareness), ("pass_share", f.pass_share)]
    return awareness + online + [("usage", f.usage), ("education", f.education)]


def _row(key: str, figure: Figure) -> HeadlineRow:
    digits = 2 if key in ("usage", "education") else 1
    target = percent(figure.target, 0) if figure.target is not None else "—"
    return HeadlineRow(
        str(INDICATOR_LABELS[key]),
        percent(figure.value, digits),
        interval(figure, digits),
        figure.n,
        target,
        status_label(figure.status) or "—",
    )


def ranked(children: list[tuple[RegionView, Indicators]]) -> list[tuple[RegionView, Indicators]]:
    """Best awareness first; areas without responses last, by name."""
    return sorted(children, key=lambda c: (c[1].awareness.value is None, -(c[1].awareness.value or 0), c[0].code))


def _summary(board: Dashboard, lang: str) -> str:
    children = board.children
    if not children:
        figure = board.monitoring.awareness if board.monitoring else board.figures.awareness
        return _(
            "%(region)s: awareness rate %(value)s, %(status)s.",
            region=board.region.name(lang),
            value=percent(figure.value),
            status=status_label(figure.status) or "—",
        )
    met = [c.name(lang) for c, f in children if f.awareness.status == MET]
    not_met = [c.name(lang) for c, f in children if f.awareness.status == NOT_MET]
    unclear = len(children) - len(met) - len(not_met)
    return _(
        "Of %(total)s areas, %(met)s met the awareness target (%(met_names)s), %(not_met)s did not "
        "(%(not_met_names)s), and for %(unclear)s it is not yet clear or there are no responses.",
        total=len(children),
        met=len(met),
        met_names="、".join(met) or "—",
        not_met=len(not_met),
        not_met_names="、".join(not_met) or "—",
        unclear=unclear,
    )


def _training_rows(training: TrainingDesk | None) -> list[HeadlineRow]:
    """The training rate and its yearly gain: counts of every roster, so no interval."""
    if training is None or not training.figure.n:
        return []
    figure = training.figure
    growth = training.growth
    return [
        HeadlineRow(
            str(INDICATOR_LABELS["training"]),
            percent(figure.value),
            "—",
            figure.n,
            percent(figure.target, 0) if figure.target is not None else "—",
            status_label(figure.status) or "—",
        ),
        HeadlineRow(
            str(INDICATOR_LABELS["training_growth"]),
            f"{growth * 100:+.1f}" if growth is not None else "—",
            "—",
            figure.n,
            f"+{training.growth_target.value * 100:.0f}" if training.growth_target else "—",
            status_label(training.growth_status) or "—",
        ),
    ]


def _training_summary(training: TrainingDesk | None) -> str:
    if training is None or not training.figure.n:
        return ""
    behind = "、".join(line.unit.name for line in training.behind) or "—"
    return " " + _(
        "Training of key groups: %(value)s of the people on units' rosters hold a valid certificate; units furthest "
        "behind their target: %(units)s.",
        value=percent(training.figure.value),
        units=behind,
    )


def build_bulletin(board: Dashboard, lang: str, training: TrainingDesk | None = None) -> Bulletin:
    """What the bulletin says; with ``training``, the key groups' training rate too."""
    region = board.region.name(lang)
    rows = [
        RankRow(
            i,
            child.name(lang),
            f.awareness.n,
            percent(f.awareness.value),
            interval(f.awareness),
            status_label(f.awareness.status) or "—",
            percent(f.usage.value, 2),
            percent(f.education.value, 2),
        )
        for i, (child, f) in enumerate(ranked(board.children), start=1)
    ]
    keys: tuple[str, ...] = ("monitoring", "awareness", "pass_share", "usage", "education")
    if training is not None and training.figure.n:
        keys += ("training", "training_growth")
    return Bulletin(
        title=_("Bulletin on fire-safety education: %(region)s", region=region),
        period=period_label(board.period),
        committee=_("%(region)s Fire Safety Committee", region=region),
        summary=_summary(board, lang) + _training_summary(training),
        headline=[_row(key, figure) for key, figure in _headline_figures(board)] + _training_rows(training),
        ranking=rows,
        method=[(str(INDICATOR_LABELS[k]), str(INDICATOR_NOTES[k])) for k in keys],
        demo=board.region.is_demo,
    )


def bulletin_pdf(board: Dashboard, bulletin: Bulletin) -> bytes:
    """The bulletin as PDF, A4 with page numbers, rendered by WeasyPrint (imported only here)."""
    from weasyprint import HTML

    html = render_template("stats/bulletin.html", bulletin=bulletin, board=board)
    # the stylesheet is read from the static folder, never fetched over the network
    return HTML(string=html, base_url=current_app.static_folder).write_pdf()


def bulletin_docx(bulletin: Bulletin) -> bytes:
    """The bulletin as a Word document with the same sections and page numbers in the footer."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = Document()
    title = document.add_heading(bulletin.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = document.add_paragraph(f"{bulletin.committee} · {bulletin.period}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if bulletin.demo:
        document.add_paragraph(_("These are invented demo figures."))
    document.add_paragraph(bulletin.summary)
    document.add_heading(_("Figures against targets"), level=1)
    _table(
        document,
        [_("Indicator"), _("Value"), _("%(level)s interval", level="95%"), _("Based on"), _("Target"), _("Status")],
        [[r.label, r.value, r.interval, f"{r.n:,}", r.target, r.status] for r in bulletin.headline],
    )
    if bulletin.ranking:
        document.add_heading(_("Ranking by awareness rate"), level=1)
        _table(
            document,
            [
                _("Rank"),
                _("Area"),
                _("Respondents"),
                _("Awareness rate"),
                _("%(level)s interval", level="95%"),
                _("Status"),
                _("Usage rate"),
                _("Education reach"),
            ],
            [
                [str(r.rank), r.area, f"{r.respondents:,}", r.awareness, r.interval, r.status, r.usage, r.education]
                for r in bulletin.ranking
            ],
        )
    document.add_heading(_("How the figures are defined"), level=1)
    for term, note in bulletin.method:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{term}: ").bold = True
        paragraph.add_run(note)
    # the page number as a field, so Word counts the pages as it lays them out
    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    footer._p.append(field)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _table(document, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
