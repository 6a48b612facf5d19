"""PostgreSQL roles: the schema owner migrates; the application role may not rewrite history.

The owner role (the one ``schoolrun`` migrations run as) owns every table. The role the
service connects as gets SELECT, INSERT, UPDATE and DELETE on every table but the audit
log, where it gets SELECT and INSERT only: a compromised or buggy application can add
audit rows but cannot change or remove one. Run :func:`grant_app_role` as the owner
after each upgrade (``schoolrun db grant ROLE``).
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, inspect

from api.models import AuditRow

APPEND_ONLY_TABLES = frozenset({AuditRow.__tablename__})
READ_ONLY_TABLES = frozenset({"alembic_version"})  # the owner migrates, the app only checks
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(owner_engine: Engine, app_role: str) -> list[str]:
    """Grant ``app_role`` what the service needs, the audit log append-only.

    Parameters
    ----------
    owner_engine
        Connected as the owner of the tables (PostgreSQL).
    app_role
        An existing role, lower-case letters, digits and underscores.

    Returns
    -------
    list[str]
        The statements run, in order.

    Raises
    ------
    ValueError
        If the database is not PostgreSQL or the role name is not a plain identifier.
    """
    if owner_engine.dialect.name != "postgresql":
        msg = f"Role grants are for PostgreSQL, not {owner_engine.dialect.name!r}."
        raise ValueError(msg)
    if not _ROLE_NAME.match(app_role):
        msg = f"app_role must be a plain lower-case identifier, got {app_role!r}."
        raise ValueError(msg)
    tables = sorted(inspect(owner_engine).get_table_names())
    statements = [f'GRANT USAGE ON SCHEMA public TO "{app_role}"']
    for table in tables:
        statements.append(f'REVOKE ALL ON "{table}" FROM "{app_role}"')
        if table in READ_ONLY_TABLES:
            privileges = "SELECT"
        elif table in APPEND_ONLY_TABLES:
            privileges = "SELECT, INSERT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f'GRANT {privileges} ON "{table}" TO "{app_role}"')
    statements.append(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{app_role}"')
    with owner_engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    return statements
