"""The web page in a real browser: each role signs in and sees what it should, nothing more.

Debian's chromium (installed by ``scripts/install_browser.sh`` if absent) is driven by
Playwright through ``executable_path``. The API runs on a local port with its own SQLite
file; two plans of a small scenario are solved by the real worker: one drawn with
straight segments (the scenario has no road network) and one whose GeoJSON the test's
solve function draws along "roads" (bent legs), so both map styles are exercised.
Screenshots go to ``out/browser/``.
"""

from __future__ import annotations

import itertools
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = REPO / "out" / "browser"
PASSWORD = "a long test password, not a real one"
JWT_SECRET = "browser-test-secret-" + "y" * 40

# id, school, first name, last name, postcode, wheelchair
PUPILS = (
    ("P001", "S1", "Amira", "Khanworth", "RM3 1XY", False),
    ("P002", "S1", "Benedikt", "Stokesley", "RM4 2XY", True),
    ("P003", "S1", "<b>Zed</b>", "Quill", "RM5 3XY", False),  # markup must show as text
    ("P004", "S2", "Devraj", "Patelmore", "RM6 4XY", False),
    ("P005", "S2", "Ellowen", "Frostwick", "RM7 5XY", False),
    # Lives 330 km north of the school: the trip alone is longer than any vehicle's shift,
    # so no vehicle can carry them (a pupil whose direct trip is over a ride limit but
    # inside a shift is carried and flagged, issue 10).
    ("P006", "S2", "Gwendolyn", "Harrowby", "RM8 6XY", False),
    ("P007", "S3", "Farida", "Oakenshaw", "RM9 7XY", False),
)
UNPLANNABLE = "P006"
TRAVEL_ALONE = ("P001", "P007")
USERS = (
    ("officer", "officer", ()),
    ("finance", "finance", ()),
    ("school1", "school", ("S1",)),
    ("school9", "school", ("S9",)),  # the school of a plan never published
)
# The test scenario lies inside Havering: its folder holds the borough's real boundary.
BOUNDARY = REPO / "data" / "havering" / "havering_boundary.geojson"


def _ensure_chromium() -> Path:
    if not CHROMIUM.exists():
        script = REPO / "scripts" / "install_browser.sh"
        result = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=False)
        if result.returncode != 0 or not CHROMIUM.exists():
            pytest.fail(
                f"Debian chromium is needed at {CHROMIUM} and {script.name} could not install "
                f"it: {result.stderr.strip()[-500:]}"
            )
    return CHROMIUM


def _scenario() -> Any:
    from routing.model import (
        CurrentRoute,
        Needs,
        Policy,
        Pupil,
        Scenario,
        School,
        SchoolKind,
        VehicleRequirement,
    )
    from routing.synthetic import default_vehicle_types

    schools = (
        School("S1", "Oak School", 0.20, 51.56, SchoolKind.SPECIAL, 8 * 3600 + 45 * 60,
               15 * 3600 + 15 * 60, postcode="RM1 1AA"),
        School("S2", "Elm School", 0.24, 51.58, SchoolKind.RESOURCED, 9 * 3600,
               15 * 3600 + 30 * 60, postcode="RM2 2BB"),
        # 90 m from Oak School: at the default zoom their labels would overlap.
        School("S3", "Ash Tree Academy", 0.2011, 51.5606, SchoolKind.SPECIAL, 8 * 3600 + 50 * 60,
               15 * 3600 + 15 * 60, postcode="RM1 3CC"),
    )  # fmt: skip
    pupils = tuple(
        Pupil(
            pupil_id=pid,
            school_id=school,
            lon=0.19 + 0.012 * i,
            lat=51.55 + 0.006 * i + (3.0 if pid == UNPLANNABLE else 0.0),
            year_group=3 + i,
            first_name=first,
            last_name=last,
            postcode=postcode,
            needs=Needs(
                wheelchair=wheelchair,
                vehicle_requirement=(
                    VehicleRequirement.WHEELCHAIR_ACCESSIBLE
                    if wheelchair
                    else VehicleRequirement.NONE
                ),
                boarding_s=180 if wheelchair else 60,
                travel_alone=pid in TRAVEL_ALONE,
            ),
        )
        for i, (pid, school, first, last, postcode, wheelchair) in enumerate(PUPILS)
    )
    # Today: every pupil alone in a taxi (the wheelchair user in a WAV), as often seen.
    current = tuple(
        CurrentRoute(f"C{pid}", "wav" if wheelchair else "taxi", False, (pid,))
        for pid, _, _, _, _, wheelchair in PUPILS
    )
    # One school a route, so that each run has a route per school to tell apart.
    return Scenario(
        "browser-test",
        schools,
        pupils,
        default_vehicle_types(),
        policy=Policy(allow_mixed_school_routes=False),
        current_routes=current,
    )


def _unpublished_scenario() -> Any:
    """A second scenario, of school S9 only, whose plan is approved but never published."""
    from routing.model import Pupil, Scenario, School, SchoolKind
    from routing.synthetic import default_vehicle_types

    school = School("S9", "Birch School", 0.22, 51.57, SchoolKind.SPECIAL, 9 * 3600, 15 * 3600)
    pupils = tuple(
        Pupil(f"Q{i}", "S9", 0.21 + 0.004 * i, 51.565, year_group=5, first_name=f"Hidden{i}",
              last_name="Unpublished", postcode="RM10 1ZZ")
        for i in range(1, 3)
    )  # fmt: skip
    return Scenario("unpublished", (school,), pupils, default_vehicle_types())


def _edit_scenario() -> Any:
    """A school whose pupils E1 and E2 must never share: two routes, and E3 can move."""
    from routing.model import IncompatiblePair, Pupil, Scenario, School, SchoolKind
    from routing.synthetic import default_vehicle_types

    school = School("S5", "Willow School", 0.23, 51.565, SchoolKind.SPECIAL, 9 * 3600, 15 * 3600)
    pupils = tuple(
        Pupil(f"E{i}", "S5", 0.215 + 0.003 * i, 51.555, year_group=8, first_name=f"Edit{i}",
              last_name="Case", postcode="RM11 1ZZ")
        for i in range(1, 4)
    )  # fmt: skip
    return Scenario(
        "edits", (school,), pupils, default_vehicle_types(),
        incompatible_pairs=(IncompatiblePair("E1", "E2"),),
    )  # fmt: skip


def _bent_legs(stops: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Stand-in for a road graph: each leg turns a corner, as roads do."""
    return [[a, (b[0], a[1]), b] for a, b in itertools.pairwise(stops)]


def _road_solve(*args: Any, **kwargs: Any) -> Any:
    """The worker's real solve, with route GeoJSON drawn along the stand-in roads."""
    from api.worker import pipeline_solve
    from routing.reports import routes_geojson

    outcome = pipeline_solve(*args, **kwargs)
    return replace(outcome, geojson=routes_geojson(outcome.plan, path_coords=_bent_legs))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    url: str
    scenario_id: int
    straight_plan_id: int
    road_plan_id: int
    unpublished_plan_id: int  # approved by the officer, not published
    edit_plan_id: int  # the officer's edits start from this draft
    worker: Any = None  # runs queued jobs (the server has no worker of its own)


def _token(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _solve(client: httpx.Client, headers: dict[str, str], worker: Any, scenario_id: int) -> int:
    response = client.post(
        f"/api/v1/scenarios/{scenario_id}/plans",
        json={"run": "both", "time_limit_s": 1},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert worker.run_once()
    job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
    assert job["state"] == "succeeded", job
    return int(job["plan_id"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The API on a free local port with users, the scenario and two solved plans."""
    import uvicorn

    from api.config import Settings
    from api.main import create_app
    from api.scenario_store import add_scenario
    from api.users import add_user
    from api.worker import Worker
    from routing.dataset import load_scenario, write_scenario

    state = tmp_path_factory.mktemp("web")
    settings = Settings(
        database_url=f"sqlite:///{state / 'schoolrun.db'}",
        state_dir=state,
        jwt_secret=JWT_SECRET,
        solve_num_workers=1,
        max_time_limit_s=5.0,
        in_process_worker=False,
    )
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        factory = app.state.session_factory
        for username, role, schools in USERS:
            add_user(username, role, password=PASSWORD, school_ids=schools, session_factory=factory)
        folder = state / "scenario"
        write_scenario(_scenario(), folder)
        shutil.copyfile(BOUNDARY, folder / BOUNDARY.name)
        with factory() as session, session.begin():  # as `schoolrun serve` loads a folder
            scenario_id = add_scenario(
                session, load_scenario(folder), source_dir=folder, name="browser-test"
            ).id
            unpublished_id = add_scenario(session, _unpublished_scenario()).id
            edit_id = add_scenario(session, _edit_scenario()).id
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=60) as client:
            officer = _token(client, "officer")
            unpublished = _solve(client, officer, Worker(settings, factory), unpublished_id)
            done = client.post(f"/api/v1/plans/{unpublished}/approve", headers=officer)
            assert done.status_code == 200, done.text  # approved, never published
            edit_plan = _solve(client, officer, Worker(settings, factory), edit_id)
            straight = _solve(client, officer, Worker(settings, factory), scenario_id)
            road = _solve(
                client, officer, Worker(settings, factory, solve=_road_solve), scenario_id
            )
            for step in ("approve", "publish"):  # schools see published plans only
                done = client.post(f"/api/v1/plans/{road}/{step}", headers=officer)
                assert done.status_code == 200, done.text
        yield Site(
            url, scenario_id, straight, road, unpublished, edit_plan, Worker(settings, factory)
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = _ensure_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_FLAGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    external: list[str] = []
    page.on(
        "request",
        lambda req: external.append(req.url) if not req.url.startswith(site.url) else None,
    )
    page.goto(site.url + "/")
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
    assert external == [], f"The page fetched from outside the server: {external}"


def _sign_in(page: Any, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_selector("#who:not([hidden])")


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _forbidden_names() -> list[str]:
    """Last names and postcodes: no role's page shows these (officers see pupil ids)."""
    return [p[3] for p in PUPILS] + [p[4] for p in PUPILS]


def test_sign_in_with_a_wrong_password_says_so(page: Any) -> None:
    page.fill("#username", "officer")
    page.fill("#password", "wrong")
    page.click("#sign-in-button")
    expect(page.locator("#sign-in-error")).to_contain_text("wrong password")
    assert page.is_hidden("#officer")


def test_officer_sees_routes_on_the_map_and_a_routes_stops(page: Any, site: Site) -> None:
    _sign_in(page, "officer")
    page.wait_for_selector("path.route-line")
    assert page.is_visible("#map")
    assert page.is_hidden("#finance") and page.is_hidden("#school")
    # The newest plan was drawn along the (stand-in) roads: solid lines.
    assert page.input_value("#officer-plan") == str(site.road_plan_id)
    road = page.locator("path.route-road")
    assert road.count() > 0
    assert road.first.get_attribute("stroke-dasharray") in (None, "none")
    assert page.locator("path.route-straight").count() == 0
    _shot(page, "officer-road")
    page.locator("path.route-road").first.dispatch_event("click")
    page.wait_for_selector("#stop-table")
    assert "null" not in (page.text_content("#route-detail") or "")  # no missing note

    # The straight-line plan: dashed, and the page says what dashed means.
    page.select_option("#officer-plan", str(site.straight_plan_id))
    page.wait_for_selector("path.route-straight")
    straight = page.locator("path.route-straight")
    assert straight.first.get_attribute("stroke-dasharray") == "8 6"
    assert "straight segments" in page.text_content("#travel-model")
    am_count = straight.count()

    # Filter by school: only routes carrying Elm School (S2) pupils remain.
    page.select_option("#officer-school", "S2")
    shown = page.locator("path.route-line").count()
    assert 0 < shown <= am_count
    assert page.text_content("#route-count") == f"{shown} route{'s' if shown != 1 else ''} shown"
    page.select_option("#officer-school", "")
    page.select_option("#officer-run", "")
    assert page.locator("path.route-line").count() > am_count  # AM and PM together

    # Pupils the plan cannot carry are listed with the reason.
    assert page.is_visible("#unassigned")
    page.click("#unassigned-summary")
    unassigned = page.locator("#unassigned-table tbody tr")
    assert unassigned.count() == 2  # AM and PM
    assert unassigned.first.locator("td").first.text_content() == UNPLANNABLE
    assert unassigned.first.locator("td").nth(3).text_content()

    # Click a route: its stops with times.
    page.select_option("#officer-run", "AM")
    page.locator("path.route-line").first.dispatch_event("click")
    page.wait_for_selector("#stop-table")
    times = page.locator("#stop-table tbody tr td:nth-child(2)").all_text_contents()
    assert page.locator("path.stop-marker").count() == len(times)  # the stops on the map
    assert times and all(re.fullmatch(r"\d\d:\d\d", t) for t in times)
    assert times == sorted(times)
    kinds = page.locator("#stop-table tbody tr td:nth-child(3)").all_text_contents()
    assert kinds[0] == "pick up" and kinds[-1] == "drop off"
    table = page.text_content("#stop-table") or ""
    assert any(name in table for name in ("Oak School", "Elm School", "Ash Tree Academy"))
    body = page.text_content("body")
    for forbidden in _forbidden_names():
        assert forbidden not in body, forbidden
    _shot(page, "officer")


def test_finance_sees_the_comparison_and_chart_and_no_pupils(page: Any) -> None:
    _sign_in(page, "finance")
    page.wait_for_selector("#comparison-table tbody tr")
    assert page.is_visible("#finance")
    assert page.is_hidden("#officer") and page.is_hidden("#school") and page.is_hidden("#map")
    labels = page.locator("#comparison-table tbody th").all_text_contents()
    for label in (
        "Annual cost",
        "Cost per pupil-day",
        "Vehicles",
        "Passenger assistants",
        "Mean ride",
        "Longest ride",
        "Rides over 45 min",
        "Rides over 75 min",
    ):
        assert label in labels, label  # fmt: skip
    cells = page.locator("#comparison-table tbody tr").first.locator("td").all_text_contents()
    assert all(re.fullmatch(r"[+−]?£[\d,]+", cell) for cell in cells), cells
    rides = page.locator("#comparison-table tbody tr:has(th:text-is('Mean ride')) td")
    assert all(re.fullmatch(r"[+−]?\d+\.\d min", t) for t in rides.all_text_contents())
    assert re.search(r"(saves|costs) £[\d,]+ a year", page.text_content("#finance-headline"))
    assert page.locator("#cost-chart circle.point").count() == 2  # today and the plan
    assert page.locator("#vehicle-table tbody tr").count() > 0
    body = page.text_content("body")
    for forbidden in [*_forbidden_names(), "Amira", "Devraj", "P001", "P004"]:
        assert forbidden not in body, forbidden
    _shot(page, "finance")


def test_finance_runs_variants_and_the_tradeoff_and_sees_modes(page: Any, site: Site) -> None:
    _sign_in(page, "finance")
    # Every way to school: priced per pupil, rows numbered, no pupil named.
    page.wait_for_selector("#modes-switches tbody tr")
    switches = page.locator("#modes-switches tbody th").all_text_contents()
    assert switches[0] == "each to their cheapest" and "personal transport budget" in switches
    assert page.locator("#modes-chart rect").count() == len(switches)
    rows = page.locator("#modes-table tbody tr")
    assert rows.count() > 0
    assert re.fullmatch(r"#\d+", rows.first.locator("td").first.text_content() or "")
    assert "all at once" in page.text_content("#modes-assumption")
    assert re.search(r"Cheapest way each pupil's needs allow: ", page.text_content("#modes-status"))
    # No trade-off curve yet: a clear empty state, not a blank.
    assert "No trade-off curve yet" in page.inner_text("#tradeoff-empty")
    # What-if variants: a comparison job the finance user starts; the test runs the worker.
    page.fill("#variants-input", "nomix=mixed_schools=false")
    page.fill("#variants-time", "1")
    page.click("#variants-run")
    expect(page.locator("#variants-status")).to_contain_text("waiting for the worker")
    assert site.worker.run_once()
    page.wait_for_selector("#variants-table tbody tr")
    names = page.locator("#variants-table tbody th").all_text_contents()
    assert "baseline" in names and "nomix" in names
    assert page.locator("#variants-chart circle.point").count() >= 2
    expect(page.locator("#variants-status")).to_contain_text("Comparison #")
    body = page.text_content("body")
    for forbidden in [*_forbidden_names(), "Amira", "Devraj", "P001", "P004"]:
        assert forbidden not in body, forbidden
    # The ride-time trade-off: one comparison job over values of a pupil's minute.
    page.fill("#tradeoff-values", "0.1")
    page.fill("#tradeoff-time", "1")
    page.click("#tradeoff-run")
    expect(page.locator("#tradeoff-status")).to_contain_text("waiting for the worker")
    assert site.worker.run_once()
    page.wait_for_selector("#tradeoff-table tbody tr")
    values = page.locator("#tradeoff-table tbody th").all_text_contents()
    assert values == ["policy's own value", "£0.10"]
    assert page.locator("#tradeoff-chart polyline.curve").count() == 1
    assert page.locator("#tradeoff-chart circle.point-plan").count() == 2
    assert page.is_hidden("#tradeoff-empty")
    _shot(page, "finance-whatifs")


def test_officer_approves_then_publishes_a_plan_superseding_the_published_one(
    page: Any, site: Site
) -> None:
    _sign_in(page, "officer")
    page.wait_for_selector("path.route-line")
    # The road plan was published when the site was built: no buttons, it says so.
    expect(page.locator("#plan-status")).to_contain_text("Published")
    assert page.is_hidden("#plan-approve") and page.is_hidden("#plan-publish")
    page.select_option("#officer-plan", str(site.straight_plan_id))
    expect(page.locator("#plan-status")).to_contain_text("Draft: schools see nothing")
    assert page.is_hidden("#plan-publish")
    page.click("#plan-approve")
    expect(page.locator("#plan-status")).to_contain_text("Approved by officer")
    assert page.is_hidden("#plan-approve")
    page.click("#plan-publish")
    expect(page.locator("#plan-status")).to_contain_text("Published: its schools see")
    expect(page.locator("#status")).to_contain_text(f"plan #{site.road_plan_id} superseded")
    assert page.is_hidden("#plan-approve") and page.is_hidden("#plan-publish")
    page.select_option("#officer-plan", str(site.road_plan_id))
    expect(page.locator("#plan-status")).to_contain_text("Superseded")


def test_school_sees_only_its_own_pickup_list(page: Any) -> None:
    _sign_in(page, "school1")
    page.wait_for_selector("#pickup-table tbody tr")
    assert page.is_visible("#school")
    assert page.is_hidden("#officer") and page.is_hidden("#finance") and page.is_hidden("#map")
    assert page.locator("#school-select option").all_text_contents() == ["S1"]
    rows = page.locator("#pickup-table tbody tr")
    names = sorted(rows.locator("td:first-child").all_text_contents())
    assert names == sorted(["Amira K.", "Benedikt S.", "<b>Zed</b> Q."])
    assert page.locator("#pickup-table tbody b").count() == 0  # shown as text, not markup
    first = rows.first.locator("td").all_text_contents()
    assert re.fullmatch(r"\d\d:\d\d", first[1]) and re.fullmatch(r"\d\d:\d\d", first[2])
    assert first[4] in ("yes", "no")
    assert first[5] == "home"  # no collection point in this scenario
    page.select_option("#school-run", "PM")
    expect(page.locator("#pickup-head")).to_have_text("Leaves school")
    assert page.locator("#pickup-table tbody tr").count() == 3
    body = page.text_content("body")
    for forbidden in [*_forbidden_names(), "Devraj", "Ellowen", "P001", "£", "wheelchair"]:
        assert forbidden not in body, forbidden
    _shot(page, "school")


def test_sign_out_clears_the_page(page: Any) -> None:
    _sign_in(page, "school1")
    page.wait_for_selector("#pickup-table tbody tr")
    page.click("#sign-out")
    assert page.is_visible("#sign-in")
    assert page.locator("#pickup-table tbody tr").count() == 0
    assert page.evaluate("sessionStorage.getItem('schoolrun.token')") is None


def test_chromium_is_debians(browser: Any) -> None:
    assert shutil.which("chromium") == str(CHROMIUM)
    assert re.match(r"\d+\.", browser.version)


# --------------------------------------------------------------------------- the officer's map


def _route_keys(page: Any, selector: str) -> list[str]:
    return [k for k in page.locator(selector).evaluate_all("ns => ns.map(n => n.dataset.route)")]


def _boxes(page: Any, selector: str) -> list[dict[str, float]]:
    return list(
        page.locator(selector).evaluate_all(
            "ns => ns.map(n => { const b = n.getBoundingClientRect();"
            " return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; })"
        )
    )


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def _expand(label: str) -> list[int]:
    """ "5-8,10" -> [5, 6, 7, 8, 10]"""
    out: list[int] = []
    for part in label.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def test_officer_map_gives_each_route_its_colour_over_the_real_boundary(
    page: Any, site: Site
) -> None:
    _sign_in(page, "officer")
    page.wait_for_selector("path.route-line")
    page.select_option("#officer-plan", str(site.straight_plan_id))
    page.wait_for_selector("path.route-straight")
    page.select_option("#officer-run", "")
    paths = page.locator("path.route-line")
    colours = paths.evaluate_all("ns => ns.map(n => n.getAttribute('stroke'))")
    assert len(colours) >= 6  # AM and PM, three routes or more each
    assert len(set(colours)) == len(colours), colours
    # Each row's swatch is its route's colour.
    swatches = page.locator("#route-table tbody tr .swatch").evaluate_all(
        "ns => ns.map(n => n.style.backgroundColor)"
    )
    assert len(set(swatches)) == len(colours)
    # The borough's real boundary, drawn under the routes and larger than all of them.
    boundary = page.locator("path.basemap-boundary")
    assert boundary.count() == 1
    (outline,) = _boxes(page, "path.basemap-boundary")
    routes = _boxes(page, "path.route-line")
    assert outline["right"] - outline["left"] > max(r["right"] for r in routes) - min(
        r["left"] for r in routes
    )
    assert page.is_visible("#legend-boundary") and page.is_hidden("#legend-roads")
    assert "GLA London Datastore" in page.text_content("#attribution")
    assert "Crown copyright" in page.text_content("#attribution")
    _shot(page, "officer-map")


def test_route_table_filters_with_the_map_and_a_row_highlights_its_route(
    page: Any, site: Site
) -> None:
    _sign_in(page, "officer")
    page.wait_for_selector("path.route-line")
    page.select_option("#officer-plan", str(site.straight_plan_id))
    page.wait_for_selector("path.route-straight")
    for run, school in (("AM", ""), ("PM", ""), ("", ""), ("AM", "S2"), ("", "S1")):
        page.select_option("#officer-run", run)
        page.select_option("#officer-school", school)
        on_map = sorted(_route_keys(page, "path.route-line"))
        in_table = sorted(_route_keys(page, "#route-table tbody tr.route-row"))
        assert on_map and on_map == in_table, (run, school)
        assert all(k.startswith(run) for k in in_table)
        total = page.text_content("#route-table-total th")
        assert total == f"{len(in_table)} route{'s' if len(in_table) != 1 else ''}"
    page.select_option("#officer-school", "")
    page.select_option("#officer-run", "AM")
    cells = page.locator("#route-table tbody tr").first.locator("td").all_text_contents()
    vehicle, assistant, pupils, occupancy, first, arrives, longest, cost = cells
    assert vehicle and assistant in ("yes", "no") and int(pupils) >= 1
    peak, places = (int(x) for x in occupancy.split("/"))
    assert 1 <= peak <= places
    assert re.fullmatch(r"\d\d:\d\d", first) and re.fullmatch(r"\d\d:\d\d", arrives)
    assert first < arrives
    assert re.fullmatch(r"\d+ min", longest) and re.fullmatch(r"£[\d,]+\.\d\d", cost)

    # A row: its route drawn over the others, the others faded, its stops numbered.
    rows = page.locator("#route-table tbody tr.route-row")
    key = rows.nth(1).get_attribute("data-route")
    rows.nth(1).click()
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    chosen = page.locator(f'path.route-line[data-route="{key}"]')
    expect(chosen).to_have_class(re.compile(r"\broute-selected\b"))
    others = page.locator(f'path.route-line:not([data-route="{key}"])')
    assert set(others.evaluate_all("ns => ns.map(n => n.getAttribute('stroke-opacity'))")) == {
        "0.18"
    }
    assert float(chosen.get_attribute("stroke-width") or 0) > max(
        float(w) for w in others.evaluate_all("ns => ns.map(n => n.getAttribute('stroke-width'))")
    )
    page.wait_for_selector("#stop-table")
    num_stops = page.locator("#stop-table tbody tr").count()
    labels = page.locator(".stop-number").all_text_contents()
    assert sorted(n for label in labels for n in _expand(label)) == list(range(1, num_stops + 1))
    assert page.text_content("#route-detail h3") == f"Route {key.split('|')[1]} (AM)"
    _shot(page, "officer-selected")

    # And the other way: a route clicked on the map marks its row.
    other = rows.nth(0).get_attribute("data-route")
    page.locator(f'path.route-line[data-route="{other}"]').dispatch_event("click")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    expect(rows.nth(1)).not_to_have_class(re.compile(r"\bselected\b"))

    # "Only routes in view": the table follows the map as it pans away and back.
    page.select_option("#officer-run", "PM")
    page.select_option("#officer-run", "AM")  # drawn afresh: the view fits every route
    num_rows = rows.count()
    page.check("#table-in-view")
    expect(rows).to_have_count(num_rows)  # all in view
    box = page.locator("#map").bounding_box()
    start = (box["x"] + 60, box["y"] + box["height"] - 60)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 1800, start[1], steps=12)  # drag the view 1,800 px west
    page.mouse.up()
    expect(rows).to_have_count(0)  # every route has left the view
    expect(page.locator("#route-table-total th")).to_have_text("0 routes")
    page.uncheck("#table-in-view")
    expect(rows).to_have_count(num_rows)


def test_school_labels_do_not_pile_up_at_the_default_zoom(page: Any, site: Site) -> None:
    _sign_in(page, "officer")
    page.wait_for_selector("path.route-line")
    page.select_option("#officer-run", "")
    labels = page.locator(".school-label")
    expect(labels).to_have_count(3)  # Oak, Elm and Ash Tree (90 m from Oak)
    shown = _boxes(page, ".school-label:not(.label-hidden)")
    assert 1 <= len(shown) < 3  # Oak's and Ash Tree's labels would overlap here
    assert not any(_overlap(a, b) for a, b in itertools.combinations(shown, 2)), shown
    # A label is hidden only where it would have covered one that is shown.
    hidden = page.locator(".school-label.label-hidden").first
    school = hidden.get_attribute("data-school")
    name = hidden.text_content()
    (box,) = _boxes(page, f'.school-label[data-school="{school}"]')
    assert any(_overlap(box, b) for b in shown)
    # The hidden school still names itself on hover.
    page.hover(f'.school-marker[data-school="{school}"]')
    expect(page.locator(".school-tooltip")).to_have_text(name or "")
    # Zoomed in, the two schools part and every label shows, still without overlap.
    for _ in range(6):
        zoom = int(page.get_attribute("#map", "data-zoom") or 0)
        page.click(".leaflet-control-zoom-in")
        expect(page.locator("#map")).to_have_attribute("data-zoom", str(zoom + 1))
        if page.locator(".school-label.label-hidden").count() == 0:
            break
    assert page.locator(".school-label.label-hidden").count() == 0
    shown = _boxes(page, ".school-label")
    visible = [b for b in shown if b["right"] > b["left"]]
    assert not any(_overlap(a, b) for a, b in itertools.combinations(visible, 2))


def test_finance_cannot_edit_or_see_the_officers_map(page: Any, site: Site) -> None:
    _sign_in(page, "finance")
    page.wait_for_selector("#comparison-table tbody tr")
    for selector in ("#officer", "#plan-approve", "#plan-publish", "#route-table", "#map"):
        assert page.is_hidden(selector), selector
    answers = page.evaluate(
        """async (plan) => {
            const auth = { Authorization: `Bearer ${sessionStorage.getItem('schoolrun.token')}` };
            const call = async (method, path) =>
                (await fetch(`/api/v1${path}`, { method, headers: auth })).status;
            return {
                approve: await call('POST', `/plans/${plan}/approve`),
                publish: await call('POST', `/plans/${plan}/publish`),
                table: await call('GET', `/plans/${plan}/route-table`),
                geojson: await call('GET', `/plans/${plan}.geojson`),
                edit: (await fetch(`/api/v1/plans/${plan}/edits`, {
                    method: 'POST',
                    headers: Object.assign({ 'Content-Type': 'application/json' }, auth),
                    body: JSON.stringify({ action: 'lock', route_id: 'AM-001' }),
                })).status,
            };
        }""",
        site.straight_plan_id,
    )
    assert answers == {
        "approve": 403, "publish": 403, "table": 403, "geojson": 403, "edit": 403
    }, answers  # fmt: skip


def test_a_school_sees_nothing_of_a_plan_before_it_is_published(page: Any, site: Site) -> None:
    _sign_in(page, "school9")
    expect(page.locator("#status")).to_have_text("No published plan includes this school yet.")
    assert page.locator("#pickup-table tbody tr").count() == 0
    answers = page.evaluate(
        """async (plan) => {
            const auth = { Authorization: `Bearer ${sessionStorage.getItem('schoolrun.token')}` };
            const get = async (path) => (await fetch(`/api/v1${path}`, { headers: auth })).status;
            return [
                await get(`/schools/S9/pickups?plan=${plan}&run=AM`),
                await get(`/schools/S9/pickups.csv?plan=${plan}&run=AM`),
                await get(`/plans/${plan}`),
            ];
        }""",
        site.unpublished_plan_id,
    )
    assert answers == [404, 404, 403], answers
    assert "Hidden" not in page.text_content("body")
    # Once the officer publishes it, the same page shows the times: the test can fail.
    with httpx.Client(base_url=site.url, timeout=30) as client:
        officer = _token(client, "officer")
        done = client.post(f"/api/v1/plans/{site.unpublished_plan_id}/publish", headers=officer)
        assert done.status_code == 200, done.text
    page.reload()
    page.wait_for_selector("#pickup-table tbody tr")
    assert sorted(page.locator("#pickup-table tbody td:first-child").all_text_contents()) == [
        "Hidden1 U.",
        "Hidden2 U.",
    ]


def _am_route_of(site: Site, plan_id: int, pupil_id: str) -> str:
    with httpx.Client(base_url=site.url, timeout=30) as client:
        plan = client.get(f"/api/v1/plans/{plan_id}", headers=_token(client, "officer")).json()
    (route,) = [
        r["route_id"]
        for r in plan["routes"]
        if r["run"] == "AM" and any(pupil_id in s["pupil_ids"] for s in r["steps"])
    ]
    return str(route)


def _open_route(page: Any, route_id: str) -> None:
    page.locator(f'#route-table tr.route-row[data-route="AM|{route_id}"]').click()
    expect(page.locator("#route-detail h3")).to_have_text(f"Route {route_id} (AM)")


def test_officer_locks_a_route_moves_a_pupil_and_approves_the_new_version(
    page: Any, site: Site
) -> None:
    _sign_in(page, "officer")
    page.wait_for_selector("path.route-line")
    page.select_option("#officer-plan", str(site.edit_plan_id))
    expect(page.locator("#route-table tbody tr.route-row")).to_have_count(2)  # AM
    e1, e2, e3 = (_am_route_of(site, site.edit_plan_id, p) for p in ("E1", "E2", "E3"))
    assert e1 != e2  # they must never share
    # A move that breaks a rule is refused, naming it and the pupil; the plan stays.
    _open_route(page, e1)
    page.select_option("#move-pupil", "E1")
    page.select_option("#move-to", e2)
    page.click("#move-submit")
    expect(page.locator("#edit-verdict")).to_have_class(re.compile(r"\brefused\b"))
    assert "E1" in (page.text_content("#edit-verdict") or "")
    assert page.input_value("#officer-plan") == str(site.edit_plan_id)
    # E3 moves to the other route: a new version, a draft, with the cost change.
    other = e2 if e3 == e1 else e1
    _open_route(page, e3)
    page.select_option("#move-pupil", "E3")
    page.select_option("#move-to", other)
    page.click("#move-submit")
    expect(page.locator("#edit-verdict")).to_have_class(re.compile(r"\bok\b"))
    verdict = page.text_content("#edit-verdict") or ""
    assert "new version 2" in verdict and "no rule broken" in verdict, verdict
    new_plan = page.input_value("#officer-plan")
    assert new_plan != str(site.edit_plan_id)
    assert _am_route_of(site, int(new_plan), "E3") == other
    expect(page.locator("#plan-status")).to_contain_text("Draft")
    expect(page.locator("#plan-status")).to_contain_text(f"edited from plan #{site.edit_plan_id}")
    # Lock the route E3 joined: the table marks it, and it stays locked on a reload.
    _open_route(page, other)
    page.click("#route-lock")
    row = page.locator(f'#route-table tr.route-row[data-route="AM|{other}"]')
    expect(row.locator(".badge-locked")).to_have_text("locked")
    expect(page.locator("#route-lock")).to_have_text("Unlock route")
    page.reload()
    page.wait_for_selector("path.route-line")
    page.select_option("#officer-plan", new_plan)
    expect(row.locator(".badge-locked")).to_have_count(1)
    _shot(page, "officer-edited")
    # The officer approves the new version.
    page.click("#plan-approve")
    expect(page.locator("#plan-status")).to_contain_text("Approved by officer")
