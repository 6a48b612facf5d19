"""`schoolrun serve`: first start loads the default scenario; every start prints fresh
demo passwords for one user of each role."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import fresh_app, tiny_scenario
from fastapi.testclient import TestClient

from api import main as api_main
from api.bootstrap import bootstrap
from api.config import get_settings
from routing.dataset import write_scenario


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    write_scenario(tiny_scenario(), folder)
    return folder


def test_bootstrap_loads_once_and_regenerates_demo_passwords(
    tmp_path: Path, scenario_dir: Path
) -> None:
    app, settings = fresh_app(tmp_path)
    first = bootstrap(settings, scenario_dir)
    second = bootstrap(settings, scenario_dir)
    assert [(u, r) for u, r, _, _ in first] == [
        ("demo-officer", "officer"),
        ("demo-finance", "finance"),
        ("demo-school", "school"),
    ]
    assert first[2][3] in (["S1"], ["S2"])  # bound to the school with the most pupils
    assert all(a[2] != b[2] for a, b in zip(first, second, strict=True))
    with TestClient(app) as client:
        listing = None
        for username, _, password, _ in second:
            token = client.post("/api/v1/token", data={"username": username, "password": password})
            assert token.status_code == 200
            if username == "demo-officer":
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                listing = client.get("/api/v1/scenarios", headers=headers).json()
        old = client.post(
            "/api/v1/token", data={"username": "demo-officer", "password": first[0][2]}
        )
        assert old.status_code == 401
    assert listing is not None and len(listing) == 1  # loaded once, not twice
    assert listing[0]["num_pupils"] == 6


def test_serve_prints_demo_credentials_for_each_role(
    tmp_path: Path,
    scenario_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import uvicorn

    started = {}
    monkeypatch.setenv("SCHOOLRUN_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("SCHOOLRUN_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(kw, app=app))
    get_settings.cache_clear()
    try:
        api_main.serve(port=8123, scenario_dir=scenario_dir)
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert started["host"] == "127.0.0.1" and started["port"] == 8123
    assert started["app"].state.settings.in_process_worker is True
    for role in ("officer", "finance", "school"):
        line = next(line for line in out.splitlines() if line.strip().startswith(role))
        assert f"demo-{role}" in line and len(line.split()[2]) >= 12
