"""Accounts: who signs in, with which role, responsible for which part of the region tree."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.regions.models import Region

ROLES = ("resident", "staff", "organizer", "admin", "unit_manager")
#: roles that must be scoped to a region subtree
SCOPED_ROLES = ("staff", "organizer")
MIN_PASSWORD_LENGTH = 10


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    #: scrypt via werkzeug; never the password itself
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    #: the root of the subtree this account may see; None only for admins (everything)
    scope_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    #: the one training unit a unit manager keeps the roster of; None for every other role
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("training_units.id", name="fk_users_unit_id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: part of every session's id; raising it ends every session signed in before
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    scope: Mapped[Region | None] = relationship()

    __table_args__ = (Index("ix_users_scope_id", "scope_id"), Index("ix_users_unit_id", "unit_id"))

    def set_password(self, password: str) -> None:
        # werkzeug's scrypt at its default cost, unless PASSWORD_HASH_METHOD lowers it where speed
        # matters more than strength (the test suite signs in thousands of times); checking reads
        # the method from the stored hash, so stored passwords keep working either way
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the account and its session epoch."""
        return f"{self.id}:{self.session_epoch}"

    def end_sessions(self) -> None:
        """Every session signed in until now stops being accepted."""
        self.session_epoch += 1

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class ApiToken(Model):
    """A bearer token for the API; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at and self.user.active

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
