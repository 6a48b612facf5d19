"""Downloading a place's road graphs where there is internet."""

from __future__ import annotations

import gzip
import logging
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from routing.errors import InvalidScenarioError, NetworkUnavailableError

logger = logging.getLogger(__name__)


def _overpass_address() -> tuple[str, int]:
    import osmnx as ox

    parts = urlsplit(str(ox.settings.overpass_url))
    return parts.hostname or "overpass-api.de", parts.port or 443


def check_internet(address: tuple[str, int] | None = None, *, timeout_s: float = 5.0) -> None:
    """Check that a TCP connection to ``address`` opens quickly.

    Parameters
    ----------
    address
        (host, port); defaults to osmnx's Overpass server.
    timeout_s
        Give up after this many seconds.

    Raises
    ------
    NetworkUnavailableError
        If the connection cannot be opened (no internet, DNS failure, refused, timeout).
    """
    host, port = address if address is not None else _overpass_address()
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as err:
        msg = (
            f"No internet connection to {host}:{port} ({err.strerror or err}): road networks "
            "can only be fetched on a machine with internet. Fetch there with `schoolrun "
            "network fetch`, then copy the .graphml.gz files into the scenario folder."
        )
        raise NetworkUnavailableError(msg) from err


def fetch_network(
    place: str,
    buffer_km: float,
    out_dir: Path,
    *,
    check_address: tuple[str, int] | None = None,
    timeout_s: float = 5.0,
) -> tuple[Path, Path]:
    """Download a place's drive and walk graphs from OpenStreetMap and save them.

    The place's boundary (Nominatim) is buffered by ``buffer_km`` so that routes leaving
    and re-entering it, and out-of-area schools nearby, stay on the network.

    Parameters
    ----------
    place
        A Nominatim query, e.g. ``"London Borough of Havering"``.
    buffer_km
        Buffer around the boundary, km (>= 0).
    out_dir
        Folder for ``drive.graphml.gz`` and ``walk.graphml.gz`` (created if missing).
    check_address
        (host, port) to test connectivity against first (default: the Overpass server).
    timeout_s
        Connectivity test timeout, seconds.

    Returns
    -------
    tuple of (Path, Path)
        The drive and walk GraphML files (ODbL: keep "© OpenStreetMap contributors").

    Raises
    ------
    NetworkUnavailableError
        Without internet (detected within ``timeout_s``) or when the download fails.
    """
    import osmnx as ox

    if buffer_km < 0:
        msg = f"buffer_km must be >= 0, got {buffer_km}."
        raise InvalidScenarioError(msg)
    check_internet(check_address, timeout_s=timeout_s)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        boundary = ox.geocode_to_gdf(place)
        projected = ox.projection.project_gdf(boundary)
        buffered = projected.buffer(buffer_km * 1000.0).to_crs("EPSG:4326").union_all()
        saved: list[Path] = []
        for network_type in ("drive", "walk"):
            graph = ox.graph_from_polygon(buffered, network_type=network_type)
            target = out_dir / f"{network_type}.graphml.gz"
            with tempfile.TemporaryDirectory(prefix="schoolrun-fetch-") as tmp:
                plain = Path(tmp) / f"{network_type}.graphml"
                ox.save_graphml(graph, plain)
                with open(plain, "rb") as src, gzip.open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            logger.info("Saved %s graph of %s to %s", network_type, place, target)
            saved.append(target)
    except NetworkUnavailableError:
        raise
    except Exception as err:  # requests, Nominatim and Overpass errors all mean "could not"
        msg = f"Could not download the road network of {place!r}: {err}."
        raise NetworkUnavailableError(msg) from err
    return saved[0], saved[1]
