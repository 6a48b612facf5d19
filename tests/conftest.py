"""Shared test settings.

Hypothesis runs without deadlines: the machine is shared and noisy, and a solve's wall time
is not what the property tests assert.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "schoolrun",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.load_profile("schoolrun")
