"""First-start setup for ``schoolrun serve``: schema, default scenario, demo users."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select

from api.config import Settings
from api.db import make_engine, make_session_factory
from api.domain import scenario_from_folder
from api.migrate import upgrade_to_head
from api.models import PupilRow, ScenarioRow, UserRow
from api.scenario_store import add_scenario
from api.users import add_user, generate_password, set_password

logger = logging.getLogger(__name__)

DEMO_USERS = (("demo-officer", "officer"), ("demo-finance", "finance"), ("demo-school", "school"))


def bootstrap(settings: Settings, scenario_dir: Path) -> list[tuple[str, str, str, list[str]]]:
    """Migrate, load ``scenario_dir`` if the database has no scenario, and (re)set the
    demo users' passwords.

    Returns
    -------
    list of (username, role, password, school_ids)
        The demo credentials for this start (passwords are random each time).
    """
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        has_scenario = session.scalar(select(func.count()).select_from(ScenarioRow)) or 0
    if not has_scenario:
        if scenario_dir.is_dir():
            scenario = scenario_from_folder(scenario_dir)
            with factory() as session, session.begin():
                row = add_scenario(session, scenario, source_dir=scenario_dir)
                logger.info(
                    "loaded scenario %r (%d pupils) from %s",
                    row.name,
                    row.num_pupils,
                    scenario_dir,
                )
        else:
            logger.warning("no scenario loaded: %s is not a folder", scenario_dir)
    with factory() as session:
        # The demo school user sees the school with the most pupils in the first scenario.
        busiest = session.execute(
            select(PupilRow.school_id, func.count().label("n"))
            .where(PupilRow.scenario_id == select(func.min(ScenarioRow.id)).scalar_subquery())
            .group_by(PupilRow.school_id)
            .order_by(func.count().desc(), PupilRow.school_id)
            .limit(1)
        ).first()
        existing = {
            u.username: u
            for u in session.scalars(
                select(UserRow).where(UserRow.username.in_([n for n, _ in DEMO_USERS]))
            )
        }
    school_ids = [busiest[0]] if busiest else ["none"]
    credentials: list[tuple[str, str, str, list[str]]] = []
    for username, role in DEMO_USERS:
        schools = school_ids if role == "school" else []
        if username in existing:
            password = generate_password()
            set_password(username, password, session_factory=factory)
            schools = list(existing[username].school_ids or [])
        else:
            password = add_user(
                username, role, school_ids=schools, session_factory=factory, is_demo=True
            )
        credentials.append((username, role, password, schools))
    engine.dispose()
    return credentials
