"""A real local Ray for the tests that run SchoolRun's fan-outs on Ray.

One instance per test module (Ray is one connection per process, and it starts slowly on
this shared machine): ``ray.init(num_cpus=2, include_dashboard=False)`` on 127.0.0.1.
Modules that use it are in the xdist group ``ray``, so two instances never compete for
the two cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from routing.executor import LOCAL_RAY_SYSTEM_CONFIG


def local_ray(num_cpus: int = 2) -> Iterator[Any]:
    """Start Ray for a module's tests and shut it down after them (a fixture's body)."""
    import ray

    if ray.is_initialized():
        ray.shutdown()
    ray.init(
        address="local",  # our own, never a cluster another process here started
        num_cpus=num_cpus,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
        _system_config=LOCAL_RAY_SYSTEM_CONFIG,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
