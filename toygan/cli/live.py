"""``toygan live``: the classroom page, served until Ctrl-C; the session is saved on the way out."""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import signal
import socket
import sys
from pathlib import Path

from toygan.cli.common import EXIT_FAILED, overrides
from toygan.config import Config
from toygan.errors import ToyganError
from toygan.presets import PRESETS, preset_config
from toygan.signals import STOP_SIGNALS
from toygan.validate import printable

__all__ = ["live_command"]


def live_command(sub: argparse._SubParsersAction) -> None:
    """``toygan live`` and its options."""
    live = sub.add_parser(
        "live", help="play and steer a GAN live in the browser (classroom mode)",
        description="Start a local web page that trains a GAN live: play, pause, step D or G alone, "
                    "change the loss or a learning rate, save what the class saw as a run that "
                    "`toygan render` animates. See docs/live.md.")
    live_source = live.add_mutually_exclusive_group()
    live_source.add_argument("--preset", default="ring", help=f"one of: {', '.join(PRESETS)} (default: ring)")
    live_source.add_argument("--config", help="a TOML config file (see docs/config.md)")
    live.add_argument("--set", action="append", metavar="KEY=VALUE",
                      help="set a config field, e.g. --set train.loss=hinge (repeatable)")
    live.add_argument("--seed", type=int, help="random seed (overrides the config)")
    live.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 lets "
                           "students watch, and controls then need the printed token)")
    live.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0: any free one)")
    live.add_argument("--out", default="live-runs",
                      help="folder the Save button writes runs into (default: ./live-runs)")
    live.add_argument("--panels", default=None,
                      help="panels shown at start, comma-separated (changeable on the page; default: "
                           "samples,discriminator,convergence, or goodfellow,convergence,jsd for a 1D "
                           "target)")
    live.add_argument("--width", type=int, default=960, help="frame width in pixels (default: 960)")
    live.add_argument("--speed", type=int, default=50,
                      help="iterations per frame at most; frames come 32 a second (default: 50, more than "
                           "a frame's time trains: full speed)")
    live.add_argument("--no-browser", action="store_true", help="do not open a browser")
    live.set_defaults(func=cmd_live)


def cmd_live(args: argparse.Namespace) -> int:
    # the web stack (Starlette, uvicorn) is imported when a lesson starts, not by every command
    from toygan.live.saving import save_folder
    from toygan.live.server import LiveServer, make_app, needs_token, open_socket
    from toygan.live.session import LiveSession

    if not 0 <= args.port <= 65535:
        raise ToyganError(f"--port {args.port}: must be from 0 (any free port) to 65535")
    config = Config.load(args.config) if args.config is not None else preset_config(args.preset)
    config = config.replace(**overrides(args))
    out = save_folder(Path(args.out), "--out")
    sock = open_socket(args.host, args.port)  # a taken port is said before any training
    try:
        session = LiveSession(config, out=out, panels=args.panels, width=args.width, speed=args.speed)
    except BaseException:  # (a bad setting, or a stop signal while the first frame is drawn)
        sock.close()
        raise
    token = secrets.token_urlsafe(16) if needs_token(args.host) else None
    host, port = sock.getsockname()[:2]
    if ipaddress.ip_address(host).is_unspecified:  # every address: the teacher steers from here
        host = "127.0.0.1"
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/" + (f"?token={token}" if token else "")

    watch = f"http://{_network_address()}:{port}/?watch" if token else None

    def ready() -> None:
        print(f"toygan live: {url}", flush=True)
        if token:
            print(f"toygan live: shared on the network; students open {watch} (the frame alone; no "
                  "token: they watch, you steer)", flush=True)
        print("toygan live: Ctrl-C stops the server (the session is saved first if it changed)", flush=True)
        if not args.no_browser:
            _open_browser(url)

    server = LiveServer(make_app(session, token, on_ready=ready, host=args.host, watch=watch))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        # the last save runs to its end whatever signal comes now: the game is what was shown
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
        try:
            session.stop()  # within seconds, a slow control in flight cut short
            if session.failure:
                print(f"toygan: error: the live session stopped: {session.failure}", file=sys.stderr)
            saved = _save_session(session)
            session.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return 0 if saved and not session.failure else EXIT_FAILED


def _network_address() -> str:
    """This machine's address on its network, as students' machines reach it (a name they may not
    resolve is no use to them); its host name if it has no route out."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # (UDP: nothing is sent; the route picks the address)
        return probe.getsockname()[0]
    except OSError:
        return socket.gethostname()
    finally:
        probe.close()


def _save_session(session) -> bool:
    """Save the session's game if it moved since its last save; False if that failed (said)."""
    try:
        note = session.save_last()
        if note:
            print(printable(f"toygan live: {note}"), flush=True)
        return True
    except ToyganError as err:
        print(f"toygan: error: could not save the session: {err}", file=sys.stderr)
        return False


def _open_browser(url: str) -> None:
    """The default browser on ``url``, where there is a desktop to show it on (on a bare terminal
    a text browser would take over the terminal)."""
    import webbrowser  # (when a lesson starts, not at every command's start-up)

    if sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        webbrowser.open(url)
