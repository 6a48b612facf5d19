"""ASGI middleware: a request id on every request and response, the body-size limit and
the page's Content-Security-Policy."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    """Take a sane incoming X-Request-ID or make one; echo it; keep it on request.state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER.encode():
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyTooLarge(HTTPException):
    """Raised from receive(): an HTTPException so FastAPI's body parsing passes it on."""

    def __init__(self, max_body_bytes: int) -> None:
        super().__init__(413, _too_large_message(max_body_bytes))


def _too_large_message(max_body_bytes: int) -> str:
    return f"The request body is larger than the limit of {max_body_bytes} bytes."


class BodySizeLimitMiddleware:
    """Answer 413 when a request body exceeds ``max_body_bytes``.

    Checks Content-Length up front and counts streamed bytes too (chunked uploads send
    no length), so a client cannot get round the limit by leaving the header out.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_body_bytes:
                    await self._reject(scope, send)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        state: dict[str, Any] = scope.get("state", {})
        body = {
            "code": "body_too_large",
            "message": _too_large_message(self.max_body_bytes),
        }
        if state.get("request_id"):
            body["request_id"] = state["request_id"]
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:{tiles}; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's own documentation pages load their scripts from a CDN: no page policy there.
_NO_PAGE_POLICY = ("/docs", "/redoc")


def tile_origin(tile_url: str) -> str:
    """The origin a tile URL template loads images from (``{s}`` subdomains as ``*``)."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url)
    host = re.sub(r"\{s\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}"


def page_csp(tile_url: str) -> str:
    """The web page's Content-Security-Policy: everything from this server, and map
    tiles from the configured tile server only when there is one."""
    origin = tile_origin(tile_url)
    return PAGE_CSP.format(tiles=f" {origin}" if origin else "")


class PagePolicyMiddleware:
    """Send the page's Content-Security-Policy with every response (the static page
    included: a header, unlike a meta tag, can carry the tile server from the settings)."""

    def __init__(self, app: ASGIApp, *, policy: str) -> None:
        self.app = app
        self.header = (b"content-security-policy", policy.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(_NO_PAGE_POLICY):
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), self.header]
            await send(message)

        await self.app(scope, receive, send_with_policy)
