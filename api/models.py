"""Database tables (SQLAlchemy 2 declarative), one class per table.

Scenarios are stored as normalised rows (schools, pupils, their needs in a separate
table, vehicle types) so that pupils are queryable per school and the needs - special
category data - sit in a table that finance and school views never join. The parts the
domain validates as a whole (policy, incompatible pairs, the current routes, the network
source) are JSON documents on the scenario row. Plans keep routes, stops, unassigned
pupils and one ``plan_trips`` row per pupil per run, the index the school pickup list
reads. Migrations in ``api/migrations`` create exactly these tables (a test checks).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"naive datetime {value!r} given to a UTC column"
            raise ValueError(msg)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --------------------------------------------------------------------------- scenarios


class ScenarioRow(Base):
    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source_dir: Mapped[str | None] = mapped_column(String(1000))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    network: Mapped[dict[str, Any]] = mapped_column(JSON)
    incompatible_pairs: Mapped[list[Any]] = mapped_column(JSON)
    current_routes: Mapped[list[Any]] = mapped_column(JSON)
    # routing.model.CollectionPoint rows (real public places, no pupil data).
    collection_points: Mapped[list[Any]] = mapped_column(JSON, default=list)
    num_pupils: Mapped[int] = mapped_column(Integer)
    num_schools: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    schools: Mapped[list[SchoolRow]] = relationship(
        back_populates="scenario",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SchoolRow.position",
    )
    pupils: Mapped[list[PupilRow]] = relationship(
        back_populates="scenario",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PupilRow.position",
    )
    vehicle_types: Mapped[list[VehicleTypeRow]] = relationship(
        back_populates="scenario",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="VehicleTypeRow.position",
    )


class SchoolRow(Base):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("scenario_id", "school_id", name="uq_schools_scenario"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(300))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(30))
    am_start_s: Mapped[int] = mapped_column(Integer)
    pm_end_s: Mapped[int] = mapped_column(Integer)
    arrive_window_open_s: Mapped[int] = mapped_column(Integer)
    arrive_window_close_s: Mapped[int] = mapped_column(Integer)
    pm_max_wait_s: Mapped[int] = mapped_column(Integer)
    handover_s: Mapped[int] = mapped_column(Integer)
    postcode: Mapped[str] = mapped_column(String(20))
    local_authority: Mapped[str] = mapped_column(String(200))

    scenario: Mapped[ScenarioRow] = relationship(back_populates="schools")


class PupilRow(Base):
    __tablename__ = "pupils"
    __table_args__ = (
        UniqueConstraint("scenario_id", "pupil_id", name="uq_pupils_scenario"),
        ForeignKeyConstraint(
            ["scenario_id", "school_id"],
            ["schools.scenario_id", "schools.school_id"],
            ondelete="CASCADE",
            name="fk_pupils_school",
        ),
        Index("ix_pupils_scenario_school", "scenario_id", "school_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    pupil_id: Mapped[str] = mapped_column(String(100))
    school_id: Mapped[str] = mapped_column(String(100))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    year_group: Mapped[int] = mapped_column(Integer)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(20))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sibling_group: Mapped[str] = mapped_column(String(100))
    attends_am: Mapped[bool] = mapped_column(Boolean)
    attends_pm: Mapped[bool] = mapped_column(Boolean)
    cannot_walk_assessed: Mapped[bool] = mapped_column(Boolean)
    is_low_income: Mapped[bool] = mapped_column(Boolean)
    has_unsafe_route: Mapped[bool] = mapped_column(Boolean)
    can_use_public_transport: Mapped[bool] = mapped_column(Boolean, server_default=false())
    travel_training_suitable: Mapped[bool] = mapped_column(Boolean, server_default=false())
    can_use_collection_point: Mapped[bool] = mapped_column(Boolean, server_default=false())

    scenario: Mapped[ScenarioRow] = relationship(back_populates="pupils")
    needs: Mapped[PupilNeedsRow] = relationship(
        back_populates="pupil",
        cascade="all, delete-orphan",
        passive_deletes=True,
        uselist=False,
        lazy="joined",
    )


class PupilNeedsRow(Base):
    """What transport must do for a pupil (special category data: officer only)."""

    __tablename__ = "pupil_needs"

    pupil_row_id: Mapped[int] = mapped_column(
        ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True
    )
    wheelchair: Mapped[bool] = mapped_column(Boolean)
    needs_assistant: Mapped[bool] = mapped_column(Boolean)
    travel_alone: Mapped[bool] = mapped_column(Boolean)
    vehicle_requirement: Mapped[str] = mapped_column(String(40))
    boarding_s: Mapped[int] = mapped_column(Integer)
    max_ride_s: Mapped[int | None] = mapped_column(Integer)

    pupil: Mapped[PupilRow] = relationship(back_populates="needs")


class VehicleTypeRow(Base):
    __tablename__ = "vehicle_types"
    __table_args__ = (UniqueConstraint("scenario_id", "name", name="uq_vehicle_types_scenario"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))
    capacity_seats: Mapped[int] = mapped_column(Integer)
    max_wheelchair_places: Mapped[int] = mapped_column(Integer)
    seats_per_wheelchair_place: Mapped[int] = mapped_column(Integer)
    num_available: Mapped[int | None] = mapped_column(Integer)
    day_rate_pence: Mapped[int] = mapped_column(BigInteger)
    cost_per_mile_pence: Mapped[int] = mapped_column(BigInteger)
    max_shift_s: Mapped[int] = mapped_column(Integer)

    scenario: Mapped[ScenarioRow] = relationship(back_populates="vehicle_types")


# --------------------------------------------------------------------------- jobs


class JobRow(Base):
    """A queued solve. Workers claim it with a lease they keep alive by heartbeat."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_jobs_user_idempotency"),
        Index("ix_jobs_state_lease", "state", "lease_expires_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # What the job produces: "plan" (a plan row) or "comparison" (a variants table).
    kind: Mapped[str] = mapped_column(String(20), default="plan", server_default="plan")
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenarios.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    best_cost_pence: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    error_code: Mapped[str | None] = mapped_column(String(60))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


# --------------------------------------------------------------------------- plans


class PlanRow(Base):
    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_scenario_status", "scenario_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One plan per job, enforced by the database: a retried job cannot write a second.
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), unique=True
    )
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenarios.id", ondelete="CASCADE"), index=True
    )
    scenario_name: Mapped[str] = mapped_column(String(200))
    runs: Mapped[list[Any]] = mapped_column(JSON)
    travel_model: Mapped[str] = mapped_column(String(500))
    solve_seconds: Mapped[float] = mapped_column(Float)
    objective: Mapped[int] = mapped_column(BigInteger)
    notes: Mapped[list[Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    comparison: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Route GeoJSON drawn by the worker (road geometry needs the road graph, which a
    # request handler must not load); None for plans written before it existed.
    geojson: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    school_ids: Mapped[list[Any]] = mapped_column(JSON)
    # routing.model.CollectionWalk rows: who walks to which collection point, how far.
    walks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # routing.lifecycle.PlanStatus; schools see a plan's times only once published.
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    approved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_by: Mapped[str | None] = mapped_column(String(150))  # the officer's username
    approved_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    superseded_at: Mapped[datetime | None] = mapped_column()
    # An officer's edit makes a new version: a draft whose parent is the plan edited.
    parent_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A draft kept although it breaks a rule (the checker's violations): never approved.
    is_broken: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    violations: Mapped[list[Any] | None] = mapped_column(JSON)
    locks: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # routing.plan_locks
    edit_note: Mapped[str | None] = mapped_column(String(500))

    routes: Mapped[list[PlanRouteRow]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PlanRouteRow.position",
    )
    unassigned: Mapped[list[PlanUnassignedRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="PlanUnassignedRow.id"
    )


class PlanRouteRow(Base):
    __tablename__ = "plan_routes"
    __table_args__ = (UniqueConstraint("plan_id", "route_id", name="uq_plan_routes_plan"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    route_id: Mapped[str] = mapped_column(String(100))
    run: Mapped[str] = mapped_column(String(4))
    vehicle_type: Mapped[str] = mapped_column(String(200))
    seats: Mapped[int] = mapped_column(Integer)
    wheelchair_places: Mapped[int] = mapped_column(Integer)
    has_assistant: Mapped[bool] = mapped_column(Boolean)
    distance_m: Mapped[int] = mapped_column(BigInteger)
    duration_s: Mapped[int] = mapped_column(Integer)
    cost_pence: Mapped[int] = mapped_column(BigInteger)

    plan: Mapped[PlanRow] = relationship(back_populates="routes")
    stops: Mapped[list[PlanStopRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="PlanStopRow.position"
    )


class PlanStopRow(Base):
    __tablename__ = "plan_stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route_row_id: Mapped[int] = mapped_column(
        ForeignKey("plan_routes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    pupil_ids: Mapped[list[Any]] = mapped_column(JSON)
    location_id: Mapped[str] = mapped_column(String(120))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    arrival_s: Mapped[int] = mapped_column(Integer)
    service_start_s: Mapped[int] = mapped_column(Integer)
    departure_s: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[str] = mapped_column(String(100))


class PlanTripRow(Base):
    """One pupil's journey on one run of a plan: the row a school's pickup list reads."""

    __tablename__ = "plan_trips"
    __table_args__ = (
        # Serves the pickup list in index order (plan, school, run, pickup time).
        Index("ix_plan_trips_pickups", "plan_id", "school_id", "run", "pickup_s"),
        UniqueConstraint("plan_id", "run", "pupil_id", name="uq_plan_trips_pupil_run"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    run: Mapped[str] = mapped_column(String(4))
    pupil_id: Mapped[str] = mapped_column(String(100))
    school_id: Mapped[str] = mapped_column(String(100))
    route_id: Mapped[str] = mapped_column(String(100))
    vehicle_type: Mapped[str] = mapped_column(String(200))
    has_assistant: Mapped[bool] = mapped_column(Boolean)
    pickup_s: Mapped[int] = mapped_column(Integer)
    dropoff_s: Mapped[int] = mapped_column(Integer)
    # "Amira K." - what a school may see of a name, kept here so the pickup list never
    # has to read the pupils table.
    display_name: Mapped[str] = mapped_column(String(220))
    # "home", or the collection point's name and the walk to it.
    pickup_place: Mapped[str] = mapped_column(String(300), default="home", server_default="home")


class PlanUnassignedRow(Base):
    __tablename__ = "plan_unassigned"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[str] = mapped_column(String(100))
    school_id: Mapped[str] = mapped_column(String(100))
    run: Mapped[str] = mapped_column(String(4))
    code: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)


class ComparisonRow(Base):
    """A finance what-if: the baseline and each variant planned, side by side.

    ``result`` is ``routing.variants.variant_table_to_dict`` (costs, counts and ride-time
    figures per variant; no pupil names). One per job, enforced by the database.
    """

    __tablename__ = "comparisons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), unique=True
    )
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenarios.id", ondelete="CASCADE"), index=True
    )
    scenario_name: Mapped[str] = mapped_column(String(200))
    variants: Mapped[list[Any]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


# --------------------------------------------------------------------------- access


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(20))
    school_ids: Mapped[list[Any]] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ApiKeyRow(Base):
    """A service account's key: only its SHA-256 is stored, looked up by its prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column()


class SignInSessionRow(Base):
    """One sign-in: its refresh token (only a SHA-256, rotated on each use) and whether it
    still stands. Access tokens name it (``sid``), so revoking it ends them at once."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    refreshed_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class SignInFailureRow(Base):
    """A failed sign-in, counted per account name and per client address."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(150), index=True)
    client_address: Mapped[str] = mapped_column(String(64), index=True)


class AuditRow(Base):
    """Who read or exported pupil data, in which role, what, when and in which request.

    Append-only: on PostgreSQL the application role may only SELECT and INSERT here
    (``api.db_roles``); each row carries the hash of the one before (``api.audit_chain``).
    """

    __tablename__ = "audit_log"
    # Subject access finds a pupil's rows by resource (equalities and literal prefixes);
    # varchar_pattern_ops lets PostgreSQL's index answer LIKE 'plan:7/%' as well as =.
    __table_args__ = (
        Index(
            "ix_audit_log_resource", "resource", postgresql_ops={"resource": "varchar_pattern_ops"}
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(150))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    resource: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The hash chain (api.audit_chain): the previous row's hash and this row's.
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
