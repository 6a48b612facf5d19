"""The FastAPI app factory, and ``serve()`` behind ``schoolrun serve`` / ``make serve``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from api.auth import Allow, load_jwt_secret, load_secret
from api.config import Settings, get_settings
from api.db import make_engine, make_read_session_factory, make_session_factory
from api.errors import install_error_handlers
from api.log_redaction import install_access_log_redaction
from api.middleware import (
    BodySizeLimitMiddleware,
    PagePolicyMiddleware,
    RequestIdMiddleware,
    page_csp,
)
from api.migrate import upgrade_to_head
from api.models import utc_now
from api.routes import (
    audit,
    auth,
    comparisons,
    eligibility,
    health,
    jobs,
    lifecycle,
    maps,
    modes,
    plan_edits,
    plans,
    pupils,
    scenarios,
    schools,
)

logger = logging.getLogger(__name__)

API_TITLE = "SchoolRun"
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Routes anyone may call: liveness, readiness, sign-in and the API's own documentation.
PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/ready",
        "/api/v1/token",
        "/api/v1/token/revoke",  # holding the token is the proof (RFC 7009)
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
    }
)


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One API operation as served (full path), and the roles it admits (None: none)."""

    path: str
    methods: frozenset[str]
    roles: frozenset[str] | None
    route: APIRoute


def _roles_of(dependant: Any, extra: Iterable[Any] = ()) -> frozenset[str] | None:
    stack = [*(dependant.dependencies if dependant is not None else ()), *extra]
    while stack:
        dep = stack.pop()
        call = getattr(dep, "call", None) or getattr(dep, "dependency", None)
        if isinstance(call, Allow):
            return frozenset(call.roles)
        stack.extend(getattr(dep, "dependencies", ()) or ())
    return None


def declared_roles(route: APIRoute) -> frozenset[str] | None:
    """The roles a route's ``Allow`` dependency admits, or None when it has none."""
    return _roles_of(route.dependant)


def api_routes(routes: Sequence[Any]) -> list[RouteInfo]:
    """Every API operation under ``routes``, through included routers.

    FastAPI >= 0.16x keeps included routers nested in ``app.routes``; walk them with
    ``iter_route_contexts`` (full paths, router-level dependencies included) when it
    exists, else read the flat list older versions keep.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return [
            RouteInfo(r.path, frozenset(r.methods or ()), declared_roles(r), r)
            for r in routes
            if isinstance(r, APIRoute)
        ]
    out = []
    for ctx in iter_route_contexts(list(routes)):
        route = ctx.original_route
        if not isinstance(route, APIRoute):
            continue
        extra = getattr(ctx, "dependencies", None) or ()
        dependant = getattr(ctx, "dependant", None) or route.dependant
        roles = _roles_of(dependant, extra)
        out.append(RouteInfo(ctx.path or route.path, frozenset(ctx.methods or ()), roles, route))
    return out


def undeclared_routes(routes: Sequence[Any]) -> list[str]:
    """Non-public API routes that declare no roles (must be empty: deny by default)."""
    return [
        f"{sorted(r.methods)} {r.path}"
        for r in api_routes(routes)
        if r.path not in PUBLIC_PATHS and r.roles is None
    ]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.read_session_factory = make_read_session_factory(engine)
    app.state.jwt_secret = load_jwt_secret(settings.jwt_secret, settings.state_dir)
    app.state.pseudonym_key = load_secret(
        settings.pseudonym_secret, settings.state_dir, "pseudonym_key"
    )
    worker = None
    if settings.in_process_worker:
        from api.worker import start_in_process

        worker, thread = start_in_process(settings, app.state.session_factory)
        logger.info("in-process worker %s started", worker.worker_id)
    try:
        yield
    finally:
        if worker is not None:
            worker.stop_event.set()
            thread.join(timeout=5)
        engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: routers, error handlers, middleware, static page.

    Parameters
    ----------
    settings
        Default: read from the environment (``SCHOOLRUN_*``, ``DATABASE_URL``).

    Raises
    ------
    RuntimeError
        If any non-public route declares no roles (deny by default).
    """
    settings = settings or get_settings()
    app = FastAPI(
        title=API_TITLE,
        version="1.0.0",
        summary="Home-to-school transport planning for pupils with SEND.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = utc_now  # tests put an injected clock here
    install_access_log_redaction()
    for router in (
        health.router,
        auth.router,
        scenarios.router,
        eligibility.router,
        plans.router,
        lifecycle.router,
        plan_edits.router,
        comparisons.router,
        modes.router,
        maps.router,
        jobs.router,
        schools.router,
        pupils.router,
        audit.router,
    ):
        app.include_router(router)
    if not api_routes(app.router.routes):
        msg = "No API routes found: the deny-by-default check would prove nothing."
        raise RuntimeError(msg)
    open_routes = undeclared_routes(app.router.routes)
    if open_routes:
        msg = f"Routes without an Allow(...) role declaration: {open_routes}"
        raise RuntimeError(msg)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(PagePolicyMiddleware, policy=page_csp(settings.map_tile_url))
    app.add_middleware(RequestIdMiddleware)  # outermost: every response carries an id
    if STATIC_DIR.is_dir():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    return app


def __getattr__(name: str) -> Any:
    # `uvicorn api.main:app` works without building an app at import time.
    if name == "app":
        return create_app()
    raise AttributeError(name)


def serve(
    host: str | None = None,
    port: int | None = None,
    *,
    scenario_dir: Path | None = None,
    with_worker: bool = True,
) -> None:
    """Start the API on localhost with the default scenario loaded and demo users.

    On first start the Havering scenario (``settings.default_scenario_dir``) is loaded
    into the database; every start prints fresh passwords for one demo user of each role.

    Parameters
    ----------
    host, port
        Where to listen (default settings: 127.0.0.1:8000).
    scenario_dir
        Scenario to load when the database has none.
    with_worker
        Run a solve worker in this process (the single-machine default).
    """
    import uvicorn

    from api.bootstrap import bootstrap

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings().model_copy(update={"in_process_worker": with_worker})
    host = host or settings.host
    port = port or settings.port
    credentials = bootstrap(settings, scenario_dir or settings.default_scenario_dir)
    print(f"SchoolRun API on http://{host}:{port}/  (docs: http://{host}:{port}/docs)")
    print("Demo users (passwords generated for this start):")
    for username, role, password, school_ids in credentials:
        schools_note = f"  schools: {', '.join(school_ids)}" if school_ids else ""
        print(f"  {role:8s} {username:16s} {password}{schools_note}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
