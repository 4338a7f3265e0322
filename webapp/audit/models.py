"""The audit log: who viewed or exported personal data, who changed what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.clock import utcnow
from webapp.extensions import Model


class AuditEntry(Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: e.g. volunteer.export, volunteer.view_phone, volunteer.approve, user.create
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    #: the filter of a list or export, or the fields changed
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    row_count: Mapped[int | None]
    #: the scope region of the acting user, so organizers see entries within their subtree
    region_path: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_user_action", "user_id", "action"))
