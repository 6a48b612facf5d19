"""initial schema: scenarios, plans, jobs, users, audit

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 00:26:13.002347
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("resource", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_request_id"), ["request_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("password_hash", sa.String(length=500), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("school_ids", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_dir", sa.String(length=1000), nullable=True),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("network", sa.JSON(), nullable=False),
        sa.Column("incompatible_pairs", sa.JSON(), nullable=False),
        sa.Column("current_routes", sa.JSON(), nullable=False),
        sa.Column("num_pupils", sa.Integer(), nullable=False),
        sa.Column("num_schools", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_scenarios_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=True),
        sa.Column("best_cost_pence", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_jobs_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_jobs_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("user_id", "idempotency_key", name="uq_jobs_user_idempotency"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_scenario_id"), ["scenario_id"], unique=False)
        batch_op.create_index("ix_jobs_state_lease", ["state", "lease_expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("am_start_s", sa.Integer(), nullable=False),
        sa.Column("pm_end_s", sa.Integer(), nullable=False),
        sa.Column("arrive_window_open_s", sa.Integer(), nullable=False),
        sa.Column("arrive_window_close_s", sa.Integer(), nullable=False),
        sa.Column("pm_max_wait_s", sa.Integer(), nullable=False),
        sa.Column("handover_s", sa.Integer(), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("local_authority", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_schools_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint("scenario_id", "school_id", name="uq_schools_scenario"),
    )
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schools_school_id"), ["school_id"], unique=False)

    op.create_table(
        "vehicle_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("capacity_seats", sa.Integer(), nullable=False),
        sa.Column("max_wheelchair_places", sa.Integer(), nullable=False),
        sa.Column("seats_per_wheelchair_place", sa.Integer(), nullable=False),
        sa.Column("num_available", sa.Integer(), nullable=True),
        sa.Column("day_rate_pence", sa.BigInteger(), nullable=False),
        sa.Column("cost_per_mile_pence", sa.BigInteger(), nullable=False),
        sa.Column("max_shift_s", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_vehicle_types_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_types")),
        sa.UniqueConstraint("scenario_id", "name", name="uq_vehicle_types_scenario"),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("scenario_name", sa.String(length=200), nullable=False),
        sa.Column("runs", sa.JSON(), nullable=False),
        sa.Column("travel_model", sa.String(length=500), nullable=False),
        sa.Column("solve_seconds", sa.Float(), nullable=False),
        sa.Column("objective", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("comparison", sa.JSON(), nullable=True),
        sa.Column("school_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_plans_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_plans_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("job_id", name=op.f("uq_plans_job_id")),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_scenario_id"), ["scenario_id"], unique=False)

    op.create_table(
        "pupils",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.String(length=100), nullable=False),
        sa.Column("school_id", sa.String(length=100), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("year_group", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sibling_group", sa.String(length=100), nullable=False),
        sa.Column("attends_am", sa.Boolean(), nullable=False),
        sa.Column("attends_pm", sa.Boolean(), nullable=False),
        sa.Column("cannot_walk_assessed", sa.Boolean(), nullable=False),
        sa.Column("is_low_income", sa.Boolean(), nullable=False),
        sa.Column("has_unsafe_route", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id", "school_id"],
            ["schools.scenario_id", "schools.school_id"],
            name="fk_pupils_school",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_pupils_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupils")),
        sa.UniqueConstraint("scenario_id", "pupil_id", name="uq_pupils_scenario"),
    )
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pupils_scenario_school", ["scenario_id", "school_id"], unique=False
        )

    op.create_table(
        "plan_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.String(length=100), nullable=False),
        sa.Column("run", sa.String(length=4), nullable=False),
        sa.Column("vehicle_type", sa.String(length=200), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("wheelchair_places", sa.Integer(), nullable=False),
        sa.Column("has_assistant", sa.Boolean(), nullable=False),
        sa.Column("distance_m", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("cost_pence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_routes_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_routes")),
        sa.UniqueConstraint("plan_id", "route_id", name="uq_plan_routes_plan"),
    )
    with op.batch_alter_table("plan_routes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_routes_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_trips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("run", sa.String(length=4), nullable=False),
        sa.Column("pupil_id", sa.String(length=100), nullable=False),
        sa.Column("school_id", sa.String(length=100), nullable=False),
        sa.Column("route_id", sa.String(length=100), nullable=False),
        sa.Column("vehicle_type", sa.String(length=200), nullable=False),
        sa.Column("has_assistant", sa.Boolean(), nullable=False),
        sa.Column("pickup_s", sa.Integer(), nullable=False),
        sa.Column("dropoff_s", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=220), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_trips_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_trips")),
        sa.UniqueConstraint("plan_id", "run", "pupil_id", name="uq_plan_trips_pupil_run"),
    )
    with op.batch_alter_table("plan_trips", schema=None) as batch_op:
        batch_op.create_index("ix_plan_trips_plan_school", ["plan_id", "school_id"], unique=False)

    op.create_table(
        "plan_unassigned",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.String(length=100), nullable=False),
        sa.Column("school_id", sa.String(length=100), nullable=False),
        sa.Column("run", sa.String(length=4), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_unassigned_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_unassigned")),
    )
    with op.batch_alter_table("plan_unassigned", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_unassigned_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "pupil_needs",
        sa.Column("pupil_row_id", sa.Integer(), nullable=False),
        sa.Column("wheelchair", sa.Boolean(), nullable=False),
        sa.Column("needs_assistant", sa.Boolean(), nullable=False),
        sa.Column("travel_alone", sa.Boolean(), nullable=False),
        sa.Column("vehicle_requirement", sa.String(length=40), nullable=False),
        sa.Column("boarding_s", sa.Integer(), nullable=False),
        sa.Column("max_ride_s", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pupil_row_id"],
            ["pupils.id"],
            name=op.f("fk_pupil_needs_pupil_row_id_pupils"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pupil_row_id", name=op.f("pk_pupil_needs")),
    )
    op.create_table(
        "plan_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_row_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("pupil_ids", sa.JSON(), nullable=False),
        sa.Column("location_id", sa.String(length=120), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("arrival_s", sa.Integer(), nullable=False),
        sa.Column("service_start_s", sa.Integer(), nullable=False),
        sa.Column("departure_s", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["route_row_id"],
            ["plan_routes.id"],
            name=op.f("fk_plan_stops_route_row_id_plan_routes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_stops")),
    )
    with op.batch_alter_table("plan_stops", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_stops_route_row_id"), ["route_row_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("plan_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_stops_route_row_id"))

    op.drop_table("plan_stops")
    op.drop_table("pupil_needs")
    with op.batch_alter_table("plan_unassigned", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_unassigned_plan_id"))

    op.drop_table("plan_unassigned")
    with op.batch_alter_table("plan_trips", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_trips_plan_school")

    op.drop_table("plan_trips")
    with op.batch_alter_table("plan_routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_routes_plan_id"))

    op.drop_table("plan_routes")
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.drop_index("ix_pupils_scenario_school")

    op.drop_table("pupils")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_scenario_id"))

    op.drop_table("plans")
    op.drop_table("vehicle_types")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schools_school_id"))

    op.drop_table("schools")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_user_id"))
        batch_op.drop_index("ix_jobs_state_lease")
        batch_op.drop_index(batch_op.f("ix_jobs_scenario_id"))

    op.drop_table("jobs")
    op.drop_table("scenarios")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))

    op.drop_table("api_keys")
    op.drop_table("users")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_request_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
