"""Keep pupil ids out of the access log: paths that name a pupil are logged without it.

uvicorn's access log line carries the request path, and a few paths name a pupil
(``/api/v1/pupils/{scenario}/{pupil}``, ``.../eligibility/{pupil}/route``); the filter
rewrites the id to ``:pupil`` before the line is written.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
_PUPIL_PATHS = (
    re.compile(r"(/api/v1/pupils/[^/?#]+/)[^/?#]+"),
    re.compile(r"(/api/v1/scenarios/[^/?#]+/eligibility/)[^/?#]+(?=/route)"),
)


def redact_path(path: str) -> str:
    """``path`` with any pupil id replaced by ``:pupil``."""
    for pattern in _PUPIL_PATHS:
        path = pattern.sub(r"\1:pupil", path)
    return path


class RedactPupilPaths(logging.Filter):
    """Rewrites the string arguments of a log record (uvicorn passes the path as one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        return True


def install_access_log_redaction() -> None:
    """Add the filter to uvicorn's access logger once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactPupilPaths) for f in logger.filters):
        logger.addFilter(RedactPupilPaths())
