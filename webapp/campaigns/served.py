"""The campaigns' answer to what volunteers served: their hours and records at activities.

The volunteers domain asks through its signals (webapp.volunteers.served) rather than import
campaigns, which import volunteers; connected when webapp.campaigns is imported.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.campaigns.models import Activity, ServiceRecord
from webapp.extensions import db
from webapp.volunteers.models import Volunteer
from webapp.volunteers.served import hours_asked, service_asked


@hours_asked.connect
def hours_at_activities(_sender: Any, volunteer_ids: list[int]) -> dict[int, float]:
    """Total hours each of ``volunteer_ids`` served at activities (those who served at all)."""
    rows = db.session.execute(
        select(ServiceRecord.volunteer_id, func.sum(ServiceRecord.hours))
        .where(ServiceRecord.volunteer_id.in_(volunteer_ids))
        .group_by(ServiceRecord.volunteer_id)
    )
    return {volunteer_id: float(hours or 0) for volunteer_id, hours in rows}


@service_asked.connect
def service_at_activities(_sender: Any, volunteer: Volunteer) -> list[ServiceRecord]:
    """The activities ``volunteer`` served at, latest first."""
    stmt = (
        select(ServiceRecord)
        .join(ServiceRecord.activity)
        .where(ServiceRecord.volunteer_id == volunteer.id)
        .options(selectinload(ServiceRecord.activity))
        .order_by(Activity.held_on.desc(), ServiceRecord.id.desc())
    )
    return list(db.session.execute(stmt).scalars())
