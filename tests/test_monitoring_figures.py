"""Two figures, each named for what it is: the monitoring estimate a target is checked against,
and the online participation figure; and the demo wave that shows the difference."""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizzes.library import Library
from webapp.extensions import db
from webapp.monitoring.demo import BAND_SHARES, seed_demo_monitoring
from webapp.monitoring.estimates import wave_estimates
from webapp.monitoring.models import Interview, Wave
from webapp.regions.margins import margins_of


@pytest.fixture()
def demo_wave(app: Flask, make_account, library: Library, region) -> Wave:
    make_account("demo-organizer", "organizer", "DEMO01")
    make_account("demo-staff", "staff", "DEMO0101")
    wave = seed_demo_monitoring(library, region("DEMO"))
    db.session.commit()
    assert wave is not None
    return wave


def test_the_demo_wave_is_skewed_the_way_fieldwork_is_and_weighting_corrects_it(demo_wave: Wave, region) -> None:
    interviews = db.session.query(Interview).filter_by(wave_id=demo_wave.id).all()
    assert len(interviews) == 600 and {i.mode for i in interviews} == {"door", "street", "phone", "online"}
    door = [i for i in interviews if i.mode == "door"]
    older_at_doors = sum(i.age_band == "60+" for i in door) / len(door)
    assert older_at_doors > BAND_SHARES["60+"] + 0.15
    assert sum(i.sex == "female" for i in door) / len(door) > 0.6
    margins = margins_of(region("DEMO01"))
    assert abs(sum(margins.values()) - region("DEMO01").population) < 20  # rounding per cell
    flagged = Counter(flag for i in interviews for flag in i.flags)
    assert 0 < sum(flagged.values()) < 30
    estimates = wave_estimates(demo_wave)
    assert estimates["error"] is None and estimates["n"] == sum(i.counts for i in interviews)
    # older residents, over-represented and knowing less, pull the plain mean down; the weights undo it
    assert estimates["awareness"]["value"] - estimates["unweighted"]["value"] > 0.01
    low, value, high = (estimates["awareness"][k] for k in ("low", "value", "high"))
    assert 0 <= low < value < high <= 1
    assert {a["code"] for a in estimates["by_area"]} >= {"DEMO01", "DEMO0101"}
    assert all(a["awareness"]["n_effective"] >= 30 for a in estimates["by_area"])


def test_the_dashboard_checks_the_target_against_the_monitoring_estimate(
    demo_wave: Wave, as_user, client: FlaskClient, bearer
) -> None:
    organizer = as_user("organizer")
    period = demo_wave.period
    page = organizer.get(f"/staff/stats?region=DEMO01&period={period}").get_data(as_text=True)
    assert "知晓率：抽样调查估计" in page and "知晓率：线上参与" in page
    assert demo_wave.title in page and "没有抽样调查覆盖" not in page
    body = client.get(f"/api/v1/stats/regions/DEMO01?period={period}", headers=bearer("organizer")).get_json()
    estimate = wave_estimates(demo_wave)["awareness"]
    assert body["monitoring"]["awareness"]["value"] == pytest.approx(estimate["value"])
    assert body["monitoring"]["wave_id"] == demo_wave.id
    street = client.get(f"/api/v1/stats/regions/DEMO0101?period={period}", headers=bearer("organizer")).get_json()
    assert street["monitoring"]["wave_region"] == "DEMO01"  # the district's wave, read for the street
    other = client.get(f"/api/v1/stats/regions/DEMO02?period={period}", headers=bearer("other_organizer")).get_json()
    assert other["monitoring"] is None
    elsewhere = as_user("other_organizer").get(f"/staff/stats?region=DEMO02&period={period}").get_data(as_text=True)
    assert "没有抽样调查覆盖" in elsewhere  # the online figure is then indicative only, and says so
    report = organizer.get(f"/staff/stats/report?region=DEMO01&period={period}").get_data(as_text=True)
    assert "抽样调查估计来自" in report and "两个数值" in report
