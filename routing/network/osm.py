"""Reading OSM XML and PBF files into an osmnx graph (the osmnx way filters, no Overpass)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from routing.errors import NetworkUnavailableError

if TYPE_CHECKING:
    import networkx as nx


# ---------------------------------------------------------------- OSM XML / PBF via pyosmium

_FILTER_TERM = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')


def _way_filter(network_type: str) -> Callable[[Mapping[str, str]], bool]:
    """osmnx's Overpass filter for ``network_type`` as a predicate on a way's tags."""
    from osmnx import _overpass  # osmnx keeps its filters here; the query text is stable

    text = _overpass._get_network_filter(network_type)
    terms = [(k, op, re.compile(v) if op else None) for k, op, v in _FILTER_TERM.findall(text)]

    def keep(tags: Mapping[str, str]) -> bool:
        for key, op, pattern in terms:
            value = tags.get(key)
            if not op:
                if value is None:
                    return False
            elif op == "!~":
                if value is not None and pattern is not None and pattern.search(value):
                    return False
            elif value is None or pattern is None or not pattern.search(value):
                return False
        return True

    return keep


def graph_from_osm_file(path: Path, network_type: str) -> nx.MultiDiGraph:
    """Filter an OSM XML/PBF file's ways to ``network_type`` with pyosmium, then build."""
    import osmnx as ox

    try:
        import osmium
    except ImportError as err:
        msg = (
            f"Reading '{path.name}' needs pyosmium (`pip install osmium`); or convert it to "
            "GraphML once elsewhere, e.g. `osmium tags-filter in.osm.pbf w/highway -o "
            "highways.osm` then `ox.save_graphml(ox.graph_from_xml('highways.osm'), ...)`."
        )
        raise NetworkUnavailableError(msg) from err
    keep = _way_filter(network_type)
    way_ids: set[int] = set()
    node_ids: set[int] = set()
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        tags = {tag.k: tag.v for tag in way.tags}
        if keep(tags) and isinstance(way, osmium.osm.Way):
            way_ids.add(way.id)
            node_ids.update(n.ref for n in way.nodes)
    if not way_ids:
        msg = f"OSM file '{path.name}' has no ways that osmnx's '{network_type}' filter keeps."
        raise NetworkUnavailableError(msg)
    with tempfile.TemporaryDirectory(prefix="schoolrun-osm-") as tmp:
        xml_path = Path(tmp) / "filtered.osm"
        writer = osmium.SimpleWriter(str(xml_path))
        try:
            for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
                if (isinstance(obj, osmium.osm.Node) and obj.id in node_ids) or (
                    isinstance(obj, osmium.osm.Way) and obj.id in way_ids
                ):
                    writer.add(obj)
        finally:
            writer.close()
        return ox.graph_from_xml(xml_path, bidirectional=network_type == "walk")
