"""Service settings, read once from the environment (prefix ``SCHOOLRUN_``).

``DATABASE_URL`` is accepted as well as ``SCHOOLRUN_DATABASE_URL`` because that is the
name hosting platforms and the issue use. ``routing/`` never reads these: the API passes
values to it as arguments.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STATE_DIR = Path(".schoolrun")
# The embedded default scenario, found from the checkout rather than the working folder.
DEFAULT_SCENARIO_DIR = Path(__file__).resolve().parents[1] / "data" / "havering"


def normalise_database_url(url: str) -> str:
    """Pick the psycopg 3 driver for bare ``postgres://`` / ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    """Everything the service can be told from outside; defaults suit one machine."""

    model_config = SettingsConfigDict(env_prefix="SCHOOLRUN_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_STATE_DIR / 'schoolrun.db'}",
        validation_alias=AliasChoices("SCHOOLRUN_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
    state_dir: Path = DEFAULT_STATE_DIR
    # Signing key for access tokens; when empty a random key is generated once and kept
    # in state_dir/jwt_secret so that restarts and several processes agree on it.
    jwt_secret: str = ""
    jwt_algorithm: str = "HS256"
    # Key of the pupil pseudonyms in the audit log (api.pseudonyms); generated and kept in
    # state_dir/pseudonym_key when empty. Keep it with the backups: without it a subject
    # access request cannot find the audit rows about a pupil.
    pseudonym_secret: str = ""
    jwt_issuer: str = "schoolrun"
    jwt_audience: str = "schoolrun-api"
    # Access tokens are short-lived; a refresh token (one per sign-in, rotated on use,
    # revocable) gets new ones until the sign-in itself ends.
    access_token_ttl_s: int = Field(default=15 * 60, gt=0)
    refresh_token_ttl_s: int = Field(default=12 * 3600, gt=0)
    # Sign-in limits: failures allowed per account name and per client address.
    sign_in_max_failures: int = Field(default=5, gt=0)
    sign_in_window_s: int = Field(default=15 * 60, gt=0)

    # Limits (each answered with a clear 413 / 422 / 429).
    max_body_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_upload_rows: int = Field(default=20_000, gt=0)
    max_pupils_per_solve: int = Field(default=5_000, gt=0)
    max_time_limit_s: float = Field(default=600.0, gt=0)
    max_concurrent_solves_per_user: int = Field(default=2, gt=0)
    # A comparison plans the baseline and each variant: (1 + variants) solves per run.
    max_variants_per_comparison: int = Field(default=6, gt=0)

    # Jobs.
    lease_s: float = Field(default=30.0, gt=0)
    heartbeat_s: float = Field(default=5.0, gt=0)
    worker_poll_s: float = Field(default=1.0, gt=0)
    max_job_attempts: int = Field(default=3, gt=0)
    solve_num_workers: int = Field(default=2, gt=0)
    # Where a solve's parts run (routing/executor.py): this machine's process pool, or
    # Ray (SCHOOLRUN_EXECUTOR=ray) at SCHOOLRUN_RAY_ADDRESS, or a local Ray when unset.
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    in_process_worker: bool = False
    cache_dir: Path | None = None
    # Fault tests only (api/fault_points.py): pause the worker for good at these points
    # (comma-separated names), writing a marker file into fault_pause_dir.
    fault_pause_at: str = ""
    fault_pause_dir: Path | None = None

    # Retention (api/retention.py): days each kind is kept; the worker purges hourly.
    retention_superseded_scenario_days: int = Field(default=365, ge=0)
    retention_plan_days: int = Field(default=2 * 365, ge=0)
    retention_job_days: int = Field(default=90, ge=0)
    retention_sign_in_days: int = Field(default=30, ge=0)
    retention_audit_days: int = Field(default=6 * 365, ge=0)
    retention_purge_interval_s: float = Field(default=3600.0, gt=0)

    # The officer's map: a tile server's URL template (Leaflet's, e.g.
    # "https://tile.example.org/{z}/{x}/{y}.png") and its attribution. Empty by default:
    # the service must work with no internet, and then draws the scenario's boundary and
    # roads (routing/basemap.py) instead. The page's Content-Security-Policy lets images
    # come from this origin only when it is set.
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    map_tile_max_zoom: int = Field(default=19, ge=1, le=22)

    # `schoolrun serve`.
    default_scenario_dir: Path = DEFAULT_SCENARIO_DIR
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("map_tile_url")
    @classmethod
    def _tile_url(cls, value: str) -> str:
        value = value.strip()
        if value and not (value.startswith(("https://", "http://")) and "{z}" in value):
            msg = (
                f"map_tile_url must be an http(s) URL template with {{z}}, {{x}} and {{y}}, "
                f"got {value!r}."
            )
            raise ValueError(msg)
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
