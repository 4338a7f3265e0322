"""The organizers' dashboard, report, exports, targets and the stats API, with permissions."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from quizzes.library import Library
from tests.conftest import csrf_token
from tests.factories import NOV
from tests.helpers import age_dashboards, read_csv
from webapp.audit.models import AuditEntry
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.stats.dashboard import WATCHED_FOR, build_dashboard, refresh_watched_dashboards
from webapp.stats.models import DashboardSnapshot, Target
from webapp.stats.periods import parse_period
from webapp.stats.targets import set_target


@pytest.fixture()
def answers(app, hand_in_survey) -> None:
    set_target(get_region("DEMO"), "awareness", "2026-2030", 0.8, None)
    set_target(get_region("DEMO02"), "awareness", "2026-2030", 0.9, None)
    for community, correct in (("DEMO010101", 9), ("DEMO010101", 7), ("DEMO010201", 5), ("DEMO020101", 10)):
        hand_in_survey(community, correct, NOV)
    db.session.commit()


def test_city_dashboard_pools_its_districts(as_user, answers) -> None:
    page = as_user("admin").get("/staff/stats?region=DEMO&period=2026-11").get_data(as_text=True)
    assert "示例市（演示数据）" in page and "2026年11月" in page
    assert "77.5%" in page  # (0.9 + 0.7 + 0.5 + 1.0) / 4
    assert "滨江区" in page and "青山区" in page
    assert "<svg" in page and "<title" in page  # charts with a text alternative


def test_drill_down_shows_inherited_stretch_target(as_user, answers) -> None:
    page = as_user("admin").get("/staff/stats?region=DEMO020101&period=2026-11").get_data(as_text=True)
    assert "100.0%" in page and "目标 90%" in page
    assert "青山区" in page  # where the target was set


def test_dashboard_is_kept_for_its_max_age_and_says_when_it_was_read(as_user, answers, app, hand_in_survey) -> None:
    app.config["DASHBOARD_MAX_AGE_SECONDS"] = 60
    admin = as_user("admin")
    first = admin.get("/staff/stats?region=DEMO&period=2026-11").get_data(as_text=True)
    assert "77.5%" in first and "数据截至" in first and "最多每 60 秒重新读取一次" in first
    hand_in_survey("DEMO010101", 0, NOV)
    db.session.commit()
    kept = admin.get("/staff/stats?region=DEMO&period=2026-11").get_data(as_text=True)
    assert "77.5%" in kept  # read less than a minute ago: shown as it was
    age_dashboards(timedelta(seconds=61))  # as if a minute had passed
    fresh = admin.get("/staff/stats?region=DEMO&period=2026-11").get_data(as_text=True)
    assert "62.0%" in fresh  # (0.9 + 0.7 + 0.5 + 1.0 + 0) / 5


def test_children_sort_by_awareness(as_user, answers) -> None:
    page = as_user("admin").get("/staff/stats?region=DEMO01&period=2026-11&sort=awareness").get_data(as_text=True)
    assert page.index("新华街道") < page.index("桂园街道")  # 50% before 80%


def test_bad_period_says_so_and_shows_this_month(as_user, answers) -> None:
    page = as_user("admin").get("/staff/stats?period=2026-13")
    assert page.status_code == 200 and "不是可统计的时段" in page.get_data(as_text=True)


def test_export_xlsx_and_csv_are_audited(as_user, answers) -> None:
    admin = as_user("admin")
    response = admin.get("/staff/stats/export.xlsx?region=DEMO01&period=2026-11")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.values)
    assert rows[0][1] == "区域" and len(rows) == 1 + 5  # five streets
    streets = {row[0]: row for row in rows[1:]}
    assert streets["DEMO0101"][3] == 2 and streets["DEMO0101"][4] == pytest.approx(0.8)
    assert len(read_csv(admin.get("/staff/stats/export.csv?region=DEMO01&period=2026-11").get_data())) == 6
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "stats.export")).scalars().all()
    assert [e.row_count for e in entries] == [5, 5]


def test_report_defines_every_indicator(as_user, answers) -> None:
    page = as_user("organizer").get("/staff/stats/report?period=2026Q4").get_data(as_text=True)
    assert "滨江区" in page and "2026年第4季度" in page
    for phrase in ("知晓率", "上线使用率", "Wilson"):
        assert phrase in page


def test_question_analysis_page(as_user, answers, library: Library) -> None:
    page = as_user("organizer").get("/staff/stats/questions?period=2026-11").get_data(as_text=True)
    assert "区分度" in page and "/lessons/" in page


@pytest.mark.parametrize(
    ("who", "path", "expected"),
    [
        (None, "/staff/stats", 302),
        ("staff", "/staff/stats", 200),
        ("organizer", "/staff/stats", 200),
        ("staff", "/staff/stats?region=DEMO010101", 200),
        ("staff", "/staff/stats?region=DEMO010201", 404),
        ("organizer", "/staff/stats?region=DEMO020101", 404),
        ("admin", "/staff/stats?region=DEMO020101", 200),
        ("organizer", "/staff/stats/export.csv?region=DEMO02", 404),
        ("staff", "/staff/stats/export.pdf", 404),
        ("staff", "/staff/targets", 403),
        ("organizer", "/staff/targets", 200),
        ("organizer", "/staff/targets?region=DEMO02", 404),
    ],
)
def test_dashboard_permission_table(client: FlaskClient, as_user, who: str | None, path: str, expected: int) -> None:
    browser = as_user(who) if who else client
    assert browser.get(path).status_code == expected


def test_organizer_sets_a_target_and_it_is_audited(as_user) -> None:
    organizer = as_user("organizer")
    token = csrf_token(organizer, "/staff/targets")
    response = organizer.post(
        "/staff/targets?region=DEMO0101",
        data={"csrf_token": token, "indicator": "awareness", "period": "2026-2030", "value": "85%"},
    )
    assert response.status_code == 302
    target = db.session.execute(select(Target)).scalar_one()
    assert target.value == pytest.approx(0.85) and target.region.code == "DEMO0101"
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "target.set")).scalar_one()
    bad = organizer.post(
        "/staff/targets", data={"csrf_token": token, "indicator": "awareness", "period": "2026-13", "value": "85%"}
    )
    assert "请填写月份" in bad.get_data(as_text=True)


def test_target_import_is_all_or_nothing(as_user) -> None:
    organizer = as_user("organizer")
    token = csrf_token(organizer, "/staff/targets")
    good = "region_code,indicator,period,value\nDEMO0101,awareness,2026-2030,90%\n"
    bad = good + "DEMO0102,usage,2026-2030,150%\nDEMO020101,awareness,2026,0.8\n"
    response = organizer.post(
        "/staff/targets/import", data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "t.csv")}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "第 3 行" in page and "第 4 行" in page
    assert db.session.execute(select(Target)).first() is None
    ok = organizer.post(
        "/staff/targets/import", data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "t.csv")}
    )
    assert ok.status_code == 302 and db.session.execute(select(Target)).scalar_one().value == 0.9


def test_stats_api_matches_the_page(client: FlaskClient, accounts: dict, answers, bearer) -> None:
    headers = bearer("organizer")
    body = client.get("/api/v1/stats/regions/DEMO01?period=2026-11", headers=headers).get_json()
    awareness = body["indicators"]["awareness"]
    assert awareness["n"] == 3 and awareness["value"] == pytest.approx(0.7) and awareness["target"] == 0.8
    assert awareness["status"] in {"not_met", "unclear"} and awareness["low"] < 0.7 < awareness["high"]
    assert len(body["children"]) == 5
    trend = client.get("/api/v1/stats/regions/DEMO01/trend?period=2026-11", headers=headers).get_json()
    assert len(trend["items"]) == 12 and trend["items"][-1]["month"] == "2026-11"
    items = client.get("/api/v1/stats/questions?region=DEMO01&period=2026-11", headers=headers).get_json()["items"]
    assert sum(item["correct"]["n"] for item in items) == 30
    assert client.get("/api/v1/stats/regions/DEMO02", headers=headers).status_code == 404
    assert client.get("/api/v1/stats/regions/DEMO01?period=soon", headers=headers).status_code == 422
    assert client.get("/api/v1/stats/regions/DEMO01").status_code == 401


def test_targets_api(client: FlaskClient, accounts: dict, bearer) -> None:
    organizer = bearer("organizer")
    put = client.put(
        "/api/v1/targets",
        json={"region": "DEMO0101", "indicator": "usage", "period": "2026", "value": 0.05},
        headers=organizer,
    )
    assert put.status_code == 200
    listed = client.get("/api/v1/targets?region=DEMO010101&period=2026-11", headers=organizer).get_json()
    assert listed["items"] == [
        {"indicator": "usage", "value": 0.05, "set_for_region": "DEMO0101", "set_for_period": "2026"}
    ]
    bad = client.put(
        "/api/v1/targets",
        json={"region": "DEMO0101", "indicator": "usage", "period": "2026", "value": 5},
        headers=organizer,
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]["value"]
    staff = bearer("staff")
    assert (
        client.put(
            "/api/v1/targets",
            json={"region": "DEMO0101", "indicator": "usage", "period": "2026", "value": 0.05},
            headers=staff,
        ).status_code
        == 403
    )


def test_populations_read_with_thousands_separators(as_user, region) -> None:
    population = region("DEMO01").population
    assert population > 10_000
    page = as_user("organizer").get("/staff/stats?region=DEMO01").get_data(as_text=True)
    assert f"{population:,}" in page and f"{population}" not in page.replace(f"{population:,}", "")


def test_the_big_screen_reloads_within_bounds_and_stays_in_scope(as_user) -> None:
    organizer = as_user("organizer")
    page = organizer.get("/staff/stats/screen?region=DEMO01&refresh=5").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="30">' in page  # never faster than every 30 s
    assert 'class="big-screen"' in page and "按知晓率排名" in page and "近 12 个月趋势" in page
    assert "http-equiv" not in organizer.get("/staff/stats/screen?region=DEMO01").get_data(as_text=True)
    assert organizer.get("/staff/stats/screen?region=DEMO02").status_code == 404


def test_a_figure_is_compared_with_the_same_period_a_year_earlier(as_user, hand_in_survey) -> None:
    from datetime import datetime, timedelta

    for i in range(40):
        hand_in_survey("DEMO010101", 5, datetime(2025, 11, 5) + timedelta(hours=i))
        hand_in_survey("DEMO010101", 9, datetime(2026, 11, 5) + timedelta(hours=i))
    page = as_user("organizer").get("/staff/stats?region=DEMO01&period=2026-11").get_data(as_text=True)
    # 90% against 50%: forty points up, far beyond what forty respondents a year could move by chance
    assert "比上年同期 +40.0 个百分点" in page and "超出误差范围" in page


def test_changes_within_the_noise_say_so() -> None:
    from webapp.stats.figures import change, mean_score, share

    assert change(share(21, 40), share(20, 40)).beyond_noise is False
    assert change(share(36, 40), share(20, 40)).beyond_noise is True
    assert change(mean_score(0, 0, 0), share(1, 2)) is None


def test_the_api_gives_the_ranking_and_the_comparison(client, bearer, hand_in_survey) -> None:
    from datetime import datetime

    hand_in_survey("DEMO010101", 9, datetime(2026, 11, 5))
    hand_in_survey("DEMO010201", 4, datetime(2026, 11, 5))
    hand_in_survey("DEMO010101", 6, datetime(2025, 11, 5))
    body = client.get("/api/v1/stats/regions/DEMO01?period=2026-11", headers=bearer("organizer")).get_json()
    assert [r["region"] for r in body["ranking"]][:2] == ["DEMO0101", "DEMO0102"]
    assert body["year_earlier"]["awareness"]["value"] == 0.6
    assert body["changes"]["awareness"]["difference"] == pytest.approx(0.65 - 0.6)


def test_the_tile_map_labels_each_area_with_its_status_in_words(as_user, hand_in_survey) -> None:
    from datetime import datetime

    from webapp.regions.service import get_region as region_of
    from webapp.stats.targets import seed_demo_targets

    seed_demo_targets(region_of("DEMO"))
    hand_in_survey("DEMO010101", 9, datetime(2026, 11, 5))
    page = as_user("organizer").get("/staff/stats?region=DEMO01&period=2026-11").get_data(as_text=True)
    tiles = re.findall(
        r'<li class="tile-area status-([a-z_]+)">.*?<span class="tile-status">([^<]+)</span>', page, re.S
    )
    assert len(tiles) == 5  # one tile per street of the district
    assert ("unclear", "尚不能确定") in tiles and ("no_data", "暂无数据") in tiles  # colour and words agree


def test_exports_have_the_rows_order_and_figures_the_desk_shows(as_user, hand_in_survey) -> None:
    from datetime import datetime

    from tests.helpers import read_csv, read_xlsx

    for community, correct in (("DEMO010101", 9), ("DEMO010201", 4), ("DEMO010301", 7), ("DEMO010301", 6)):
        hand_in_survey(community, correct, datetime(2026, 11, 5))
    organizer = as_user("organizer")
    page = organizer.get("/staff/stats?region=DEMO01&period=2026-11&sort=awareness").get_data(as_text=True)
    ranking = page[page.index('id="children"') : page.index("</table>", page.index('id="children"'))]
    shown = re.findall(
        r'<th scope="row"><a class="tap" href="[^"]+">([^<]+)</a></th>\s*<td>(\d+)</td>\s*<td>([^ <]+)', ranking
    )
    assert len(shown) == 5 and shown[0][2] == "40.0%"  # the weakest first, as the desk sorts
    csv = read_csv(organizer.get("/staff/stats/export.csv?region=DEMO01&period=2026-11&sort=awareness").data)
    xlsx = read_xlsx(organizer.get("/staff/stats/export.xlsx?region=DEMO01&period=2026-11&sort=awareness").data)
    for header, *rows in (csv, xlsx):
        name, n, rate = header.index("区域"), header.index("受访人数"), header.index("知晓率")
        exported = [
            (str(r[name]), str(r[n]), "—" if r[rate] in (None, "") else f"{float(r[rate]) * 100:.1f}%") for r in rows
        ]
        assert exported == shown
    trend = read_csv(organizer.get("/staff/stats/export.csv?region=DEMO01&period=2026-11&table=trend").data)
    assert trend[-1][:2] == ["2026-11", "4"]


def test_the_activities_table_exports_as_shown(as_user, accounts, make_activity) -> None:
    from tests.factories import ACTIVITY_DAY
    from tests.helpers import read_csv

    make_activity(accounts["staff"], "DEMO010101", participants=30)
    make_activity(accounts["staff"], "DEMO010102", participants=12, channel="school", kind="drill")
    period = f"{ACTIVITY_DAY:%Y-%m}"
    header, *rows = read_csv(
        as_user("organizer").get(f"/staff/stats/export.csv?region=DEMO01&period={period}&table=activities").data
    )
    assert header == ["宣传渠道", "形式", "活动场次", "参加人数"]
    assert sorted(rows) == sorted([["进社区", "讲座", "1", "30"], ["进学校", "疏散演练", "1", "12"]])


def test_areas_rank_by_their_active_volunteers(as_user, make_volunteer) -> None:
    for i, community in enumerate(("DEMO010201", "DEMO010202", "DEMO010101")):
        make_volunteer(community=community, phone=f"1390013{i:04d}", status="active")
    page = as_user("organizer").get("/staff/stats?region=DEMO01&period=2026-11&sort=volunteers").get_data(as_text=True)
    ranking = page[page.index('id="children"') : page.index("</table>", page.index('id="children"'))]
    streets = re.findall(r'<th scope="row"><a class="tap" href="[^"]+">([^<]+)</a></th>', ranking)
    assert streets[:2] == ["新华街道", "桂园街道"]  # two volunteers in DEMO0102, one in DEMO0101


def test_figures_say_where_their_target_comes_from_and_small_shares_keep_their_digits(
    as_user, accounts, make_activity, hand_in_survey
) -> None:
    from datetime import datetime

    from tests.factories import ACTIVITY_DAY
    from webapp.stats.targets import seed_demo_targets

    seed_demo_targets(get_region("DEMO"))
    hand_in_survey("DEMO010101", 9, datetime(ACTIVITY_DAY.year, ACTIVITY_DAY.month, 5))
    make_activity(accounts["staff"], "DEMO010101", participants=1250)
    period = f"{ACTIVITY_DAY:%Y-%m}"
    page = as_user("organizer").get(f"/staff/stats?region=DEMO01&period={period}").get_data(as_text=True)
    assert "由示例市（演示数据）为2026—2030年规划期设定" in page  # who set the plan target, for which period
    assert "线下活动参与人数（单独统计）：1,250" in page
    # usage is a fraction of a percent: its interval keeps two decimals rather than reading 0.0%–0.0%
    assert re.search(r"95%置信区间 0\.\d\d%–0\.\d\d%", page)
    assert "辅助指标：未单独设定目标" in page  # pass share has no target of its own in the demo plan
    set_target(get_region("DEMO01"), "pass_share", "2026-2030", 0.9, None)
    db.session.commit()
    page = as_user("organizer").get(f"/staff/stats?region=DEMO01&period={period}").get_data(as_text=True)
    assert "辅助指标" not in page and "本区域为2026—2030年规划期设定" in page


def test_lagging_communities_are_those_below_target_with_enough_respondents(app, hand_in_survey, library) -> None:
    """Thirty respondents at 60% lag an 80% target; thirty at 90% do not; twenty-nine at 50%
    are too few to say. The list is the same for the city and for the district above them."""
    set_target(get_region("DEMO"), "awareness", "2026-2030", 0.8, None)
    for community, correct, people in (("DEMO010101", 6, 30), ("DEMO010102", 9, 30), ("DEMO010103", 5, 29)):
        for _ in range(people):
            hand_in_survey(community, correct, NOV)
    for code in ("DEMO", "DEMO01"):
        board = build_dashboard(get_region(code), parse_period("2026-11"), library)
        assert [(c.code, round(f.awareness.value, 3), f.awareness.n, round(gap, 3)) for c, f, gap in board.lagging] == [
            ("DEMO010101", 0.6, 30, -0.2)
        ]


def test_a_community_with_its_own_higher_target_lags_against_it(app, hand_in_survey, library) -> None:
    """90% meets the city's 80% but not the community's own 95%; a street's own 50% lets its
    community at 60% off. The worst comes first, and no list is made without any target."""
    november = parse_period("2026-11")
    for community, correct in (("DEMO010101", 9), ("DEMO010201", 6), ("DEMO010102", 7)):
        for _ in range(30):
            hand_in_survey(community, correct, NOV)
    assert build_dashboard(get_region("DEMO"), november, library).lagging == []
    set_target(get_region("DEMO"), "awareness", "2026-2030", 0.8, None)
    set_target(get_region("DEMO010101"), "awareness", "2026", 0.95, None)
    set_target(get_region("DEMO0102"), "awareness", "2026-2030", 0.5, None)
    board = build_dashboard(get_region("DEMO"), november, library)
    assert [(c.code, round(gap, 3), f.awareness.target) for c, f, gap in board.lagging] == [
        ("DEMO010102", -0.1, 0.8),
        ("DEMO010101", -0.05, 0.95),
    ]


def test_the_applier_reads_again_the_dashboards_someone_looks_at(as_user, answers, app, hand_in_survey) -> None:
    app.config.update(DASHBOARD_MAX_AGE_SECONDS=60, DASHBOARD_REFRESH_SECONDS=0)
    admin = as_user("admin")
    assert "77.5%" in admin.get("/staff/stats?region=DEMO&period=2026-11").get_data(as_text=True)
    assert "80.0%" in admin.get("/staff/stats?region=DEMO010101&period=2026-11").get_data(as_text=True)
    # nobody has looked at the community's dashboard lately: it is left to expire
    db.session.execute(
        update(DashboardSnapshot)
        .where(DashboardSnapshot.key.startswith(f"{get_region('DEMO010101').id}:"))
        .values(viewed_at=utcnow() - WATCHED_FOR - timedelta(minutes=1))
    )
    db.session.commit()
    hand_in_survey("DEMO010101", 0, NOV)
    assert refresh_watched_dashboards() == 1
    # the city's copy, read again by the applier, is what the next view shows
    assert "62.0%" in admin.get("/staff/stats?region=DEMO&period=2026-11").get_data(as_text=True)
    assert "80.0%" in admin.get("/staff/stats?region=DEMO010101&period=2026-11").get_data(as_text=True)
