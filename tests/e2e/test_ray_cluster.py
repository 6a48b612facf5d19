"""Sweeps on real Ray clusters (slow: each test starts its own Ray): the two-node path of
``ray.cluster_utils.Cluster``, and a Ray worker killed mid-sweep, whose item Ray runs
again so the sweep still ends with every row."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from ray_support import local_ray

from routing.executor import LOCAL_RAY_SYSTEM_CONFIG
from routing.sweep import SweepRow, read_manifest, run_sweep

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]

DATA = Path(__file__).resolve().parents[2] / "data"


def manifest(tmp_path: Path, time_limit_s: float) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(
        f'time_limit_s = {time_limit_s}\nruns = "AM"\nscenarios = ["{DATA / "rutland"}"]\n'
        '[[variant]]\nname = "ride60"\n'
        'overrides = "ride_limit_primary_min=60,ride_limit_secondary_min=90"\n'
        '[[variant]]\nname = "nomix"\noverrides = "mixed_schools=false"\n'
        '[[variant]]\nname = "ride40"\noverrides = "ride_limit_primary_min=40"\n',
        encoding="utf-8",
    )
    return path


def test_a_sweep_on_a_two_node_cluster_runs_items_on_both_nodes(tmp_path: Path) -> None:
    import ray
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "include_dashboard": False,
            "_system_config": LOCAL_RAY_SYSTEM_CONFIG,
        },
    )
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    try:
        assert len(ray.nodes()) == 2
        rows = run_sweep(read_manifest(manifest(tmp_path, 3)).items, "ray")
    finally:
        ray.shutdown()
        cluster.shutdown()
    assert [r.error for r in rows] == [""] * 4
    assert len({r.node.split(":")[0] for r in rows}) == 2


def sweep_processes() -> list[int]:
    """Pids of Ray workers running a sweep item now (Ray titles them ray::FUNCTION)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"ray::plan_sweep_item"):
            pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_sweep_is_retried_and_every_row_comes_back(tmp_path: Path) -> None:
    items = read_manifest(manifest(tmp_path, 6)).items
    rows: list[SweepRow] = []
    killed: list[int] = []
    for _ in local_ray():
        sweep = threading.Thread(target=lambda: rows.extend(run_sweep(items, "ray")))
        sweep.start()
        stop = threading.Event()
        while sweep.is_alive() and not killed:
            running = sweep_processes()
            if running:
                os.kill(running[0], signal.SIGKILL)
                killed.append(running[0])
            stop.wait(0.2)
        sweep.join()
    assert killed, "no Ray worker was seen running a sweep item"
    assert [(r.variant, r.error) for r in rows] == [
        ("baseline", ""),
        ("ride60", ""),
        ("nomix", ""),
        ("ride40", ""),
    ]
    assert all(not r.node.endswith(f":{killed[0]}") for r in rows)
