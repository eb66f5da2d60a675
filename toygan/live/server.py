"""The classroom server: a page and a small JSON API over one ``LiveSession``, on Starlette and
uvicorn.

- ``GET /``: the page; ``GET /ws``: a WebSocket that sends each new frame (JPEG bytes) and then
  the state (JSON text), dropping frames a slow browser cannot take;
- ``GET /api/state``: the state as JSON; ``GET /api/frame.png``: the current frame;
- ``POST /api/control``: ``{"action": NAME}`` or ``{"set": {KEY: VALUE}}`` → 200 and the new state,
  400 and ``{"error": "<one line>"}`` (nothing changed), or 403 without the token when one is
  required;
- ``POST /api/data``: ``{"points": [[x, y], ...], "window": [...]}``, ``{"csv": TEXT}`` or
  ``{"npy": BASE64}`` → a new game on one's own data, answered as a control is.

Who may steer: the server listens on 127.0.0.1 unless told otherwise. Bound to any other address
(students' machines can reach it), controls need the token the server prints in the teacher's URL;
watching (the page, the frames, the state) needs none.

What it obeys, even on 127.0.0.1, where any web page the teacher has open can send it requests:
- a ``Host`` header naming this server (a loopback name or address, the host it was started on, or,
  shared, one of this machine's names or any IP address): a page whose own name was made to point
  at 127.0.0.1 (DNS rebinding) is refused, on every route;
- a control only as ``Content-Type: application/json``, which a browser never sends across origins
  without asking first (a CORS preflight this server does not answer), and never with an ``Origin``
  other than the server's own;
- a WebSocket only from the server's own page (its ``Origin``).
Clients that are not browsers send no ``Origin`` and are let through on the Host check alone (and
the token, when shared). See docs/reliability.md, "The live server's threat model".
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import secrets
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from toygan.errors import ToyganError, first_line
from toygan.live.session import LiveSession
from toygan.signals import STOP_SIGNALS

__all__ = ["make_app", "needs_token", "allowed_hosts", "open_socket", "LiveServer"]

MAX_BODY = 64 * 1024  # a control is a few hundred bytes
MAX_DATA_BODY = 8 * 2**20  # a data file of MAX_DATA_BYTES, as base64 in JSON
LIMIT_CONNECTIONS = 200  # a class of students watching, and then some
"""The signals that stop the server cleanly (and that its last save holds off)."""


def needs_token(host: str) -> bool:
    """Whether controls need the token: on any address but the loopback ones."""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: others may reach it
        return True


def allowed_hosts(host: str) -> frozenset[str]:
    """The names a request's ``Host`` may give for a server started on ``host`` (IP addresses are
    judged by ``_host_allowed``): the loopback names, ``host`` itself and, on any address but the
    loopback ones, this machine's names."""
    names = {"localhost", host.lower().rstrip(".")}
    if needs_token(host):
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return frozenset(names)


def _host_allowed(header: str, names: frozenset[str], shared: bool) -> bool:
    """Whether a ``Host`` header (``name``, ``name:port``, ``[v6]:port``) names this server: one of
    ``names``, a loopback address, or, ``shared``, any IP address (a rebinding attack needs a name)."""
    header = header.strip().lower()
    if header.startswith("["):
        name = header[1:header.find("]")] if "]" in header else ""
    else:
        name = header.rsplit(":", 1)[0] if header.count(":") == 1 else header
    name = name.rstrip(".")
    if name in names:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or shared


def _origin_allowed(origin: str | None, host: str) -> bool:
    """A browser's ``Origin`` must be the server's own page (``http(s)://`` and its ``Host``); a
    request without one comes from no web page."""
    if origin is None:
        return True
    scheme, _, netloc = origin.strip().lower().partition("://")
    return scheme in ("http", "https") and netloc == host.strip().lower()


@dataclass(frozen=True)
class _Gate:
    """Who may be served: the ``Host`` names that are this server's (``names``; any address of the
    machine when ``shared``), and the ``token`` a control must carry (None: none)."""

    names: set[str]
    shared: bool
    token: str | None

    def refusal(self, headers, query, *, page_only: bool = False, steers: bool = False
                ) -> tuple[int, str] | None:
        """Why a request is refused (status, one line), or None to serve it: ``page_only`` for
        what only the server's own page may open, ``steers`` for a control."""
        given_host = headers.get("host", "")
        if not _host_allowed(given_host, self.names, self.shared):
            return 403, (f"Host {given_host[:80]!r} is not this server's name: open it as http://127.0.0.1 "
                         "or by the address it printed")
        if not (page_only or steers):
            return None
        if not _origin_allowed(headers.get("origin"), given_host):
            return 403, f"a request from another site ({headers.get('origin', '')[:80]!r}) is refused"
        if not steers:
            return None
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return 415, (f"Content-Type {headers.get('content-type', '')[:80]!r}: a control is sent as "
                         "application/json")
        given = headers.get("x-toygan-token") or query.get("token") or ""
        if self.token is not None and not secrets.compare_digest(given.encode(), self.token.encode()):
            return 403, ("this server is shared: controls need the teacher's token (the URL it printed "
                         "at start)")
        return None


def make_app(session: LiveSession, token: str | None,
             on_ready: Callable[[], None] | None = None, host: str = "127.0.0.1",
             watch: str | None = None) -> Starlette:
    """The web app over ``session``; ``token``: what a control must carry (``X-Toygan-Token``
    header or ``token`` query parameter), or None for none; ``on_ready()`` is called once the
    server is up (the readiness signal: the CLI prints the URL then); ``host``: the address the
    server was started on (it decides which ``Host`` headers are this server's); ``watch``: the
    address students open (the page shows it), or None for this page's own with ``?watch``."""
    page = resources.files("toygan.live").joinpath("page.html").read_text(encoding="utf-8")
    gate = _Gate(allowed_hosts(host), needs_token(host), token)

    def published(state: dict) -> dict:
        """The session's state, and whether controls need a token (the page then steers only
        with one in its URL)."""
        return {**state, "shared": token is not None, "watch": watch}

    def refused(request: Request, **kw) -> JSONResponse | None:
        why = gate.refusal(request.headers, request.query_params, **kw)
        return None if why is None else JSONResponse({"error": why[1]}, status_code=why[0])

    async def index(request: Request) -> Response:
        return refused(request) or HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def state(request: Request) -> JSONResponse:
        return refused(request) or JSONResponse(published(session.state()),
                                                headers={"Cache-Control": "no-store"})

    async def frame_png(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        try:
            png = await run_in_threadpool(session.png, 60)
        except (ToyganError, TimeoutError) as err:
            return JSONResponse({"error": first_line(err) or "no frame in time"}, status_code=503)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def control(request: Request, data: bool = False) -> Response:
        if (no := refused(request, steers=True)) is not None:
            return no
        try:
            body = await _body(request, MAX_DATA_BODY if data else MAX_BODY)
            try:
                payload = json.loads(body)
            except (ValueError, UnicodeDecodeError, RecursionError) as err:
                raise ToyganError(f"the body is not JSON that fits a control ({first_line(err)})") from None
            new_state = await asyncio.wrap_future(session.submit({"data": payload} if data else payload))
        except ClientDisconnect:  # the asker left mid-body: nothing to answer, nothing changed
            return Response(status_code=400)
        except ToyganError as err:
            return JSONResponse({"error": str(err)}, status_code=400 if session.alive else 503)
        return JSONResponse(published(new_state))

    async def own_data(request: Request) -> Response:
        return await control(request, data=True)

    async def stream(websocket: WebSocket) -> None:
        await _stream(websocket, session, gate, published, stopping)

    stopping = asyncio.Event()
    app = Starlette(routes=[
        Route("/", index), Route("/api/state", state), Route("/api/frame.png", frame_png),
        Route("/api/control", control, methods=["POST"]),
        Route("/api/data", own_data, methods=["POST"]),
        WebSocketRoute("/ws", stream),
    ])
    app.state.stopping = stopping  # set by LiveServer as it shuts down: streams end at once
    app.state.on_ready = on_ready
    app.state.session = session
    return app


async def _stream(websocket: WebSocket, session: LiveSession, gate: _Gate, published: Callable[[dict], dict],
                  stopping: asyncio.Event) -> None:
    """Frames (JPEG) and states (JSON) to the page as they come, until the page or the server ends it."""
    why = gate.refusal(websocket.headers, websocket.query_params, page_only=True)
    if why is not None:  # refused before the handshake: the browser sees a 403
        await websocket.close(code=1008, reason=why[1][:120])
        return
    await websocket.accept()
    loop = asyncio.get_running_loop()
    fresh = asyncio.Event()
    stop = session.listen(lambda: loop.call_soon_threadsafe(fresh.set))
    # the browser's close (or anything it sends), or the server stopping, ends the stream
    ends = {asyncio.ensure_future(websocket.receive()), asyncio.ensure_future(stopping.wait())}

    async def until_end(coroutine) -> bool:
        """Run ``coroutine`` unless the stream ends first; whether it ran to its end."""
        task = asyncio.ensure_future(coroutine)
        done, _ = await asyncio.wait({task, *ends}, return_when=asyncio.FIRST_COMPLETED)
        if task not in done:
            task.cancel()
            return False
        task.result()
        return True

    try:
        sent = -1
        while True:
            if session.frame_id != sent:
                sent, jpeg, state_now = session.frame_id, session.jpeg, published(session.state())
                if not await until_end(websocket.send_bytes(jpeg)):
                    return
            else:  # a state change without a new frame
                state_now = published(session.state())
            if not await until_end(websocket.send_text(json.dumps(state_now))):
                return
            if not await until_end(fresh.wait()):
                return
            fresh.clear()
    except (WebSocketDisconnect, RuntimeError, OSError):
        return
    finally:
        stop()
        for task in ends:
            task.cancel()


async def _body(request: Request, most: int = MAX_BODY) -> bytes:
    """The request's body, refused past ``most`` bytes before more of it is read."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > most:
        raise ToyganError(f"a request of {int(length)} bytes; at most {most}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > most:
            raise ToyganError(f"a request of more than {most} bytes")
    return bytes(body)


def open_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: any free port); a ToyganError if it is taken."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError, OverflowError) as err:
        raise ToyganError(f"--host {host!r}: not an address here ({err})") from None
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(info[4])
    except OSError as err:
        sock.close()
        raise ToyganError(f"--host {host} --port {port}: cannot listen there ({err.strerror}); "
                          "choose another port (--port 0 takes any free one)") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


class LiveServer(uvicorn.Server):
    """uvicorn's server for ``make_app``'s app with toygan's signals: Ctrl-C, SIGTERM and SIGHUP
    stop it cleanly (open streams end at once; nothing is re-raised afterwards), and the app's
    ``on_ready()`` is called once it listens."""

    def __init__(self, app: Starlette, **options: Any) -> None:
        # (uvicorn's warnings are about clients' malformed requests: none of the teacher's business)
        # (no per-message deflate: the frames are JPEGs already, and compressing them again cost
        # the training's process 2 % of its time)
        # (at most LIMIT_CONNECTIONS at once: beyond, 503 at once, so that a flood of half-open
        # connections from the network cannot take every file descriptor of the server)
        super().__init__(uvicorn.Config(app, lifespan="off", log_level="error", ws="auto",
                                        ws_per_message_deflate=False, timeout_graceful_shutdown=2,
                                        limit_concurrency=LIMIT_CONNECTIONS, **options))
        self.app = app

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.app.state.on_ready is not None:
            self.app.state.on_ready()

    async def on_tick(self, counter: int) -> bool:
        # a session whose worker failed is served no longer: the command says why and saves
        return await super().on_tick(counter) or not self.app.state.session.alive

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.app.state.stopping.set()
        # the session stops first (a control in flight is cut short within seconds), so that its
        # request is answered, with the reason, before the connections close
        await asyncio.to_thread(self.app.state.session.stop)
        # a browser that does not answer the close within the graceful timeout is dropped; that
        # is how a server stops, not an error worth a traceback in the teacher's terminal
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self._stop) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, signum, frame) -> None:
        self.should_exit = True  # shutting down takes at most its graceful timeout (2 s)
