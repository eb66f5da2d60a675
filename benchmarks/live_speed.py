"""Live mode's speed: frames that reach a client, iterations trained meanwhile, and how fast a
control takes effect.

The server (``toygan live``, the ring preset at its defaults, 960 px, three panels, one torch
thread) trains on one core and draws its frames in a process of its own on the other; the client,
standing in for the browser, runs in this process and reads the frame WebSocket as the page does.
References in the same run, each alone on the machine with one torch thread: the plain training
loop (``Game.step`` with nothing drawn), measured just before and just after live play and
averaged (a shared machine's speed drifts by 10 % from minute to minute), and the number of
frames a second the animations' own drawing reaches (``Animation.frame`` from a history, no
training).

    python benchmarks/live_speed.py [--seconds 10] [--speed 50] [--controls 20]

Prints frames/s at the client, iterations/s, the share of the plain loop's speed that live play
keeps, and the control latency (median and worst of --controls changes of train.lr_d while
playing: from the request to the answer that shows the new value in effect).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.sync.client import connect

REFERENCE = r"""
import sys, time, torch
torch.set_num_threads(1)
from toygan import Game
from toygan.presets import preset_config
from toygan.render.animation import Animation
game = Game(preset_config("ring"))
game.run(200, progress=False)
start = time.perf_counter(); n = 0
while time.perf_counter() - start < float(sys.argv[1]) / 2:
    game.step(); n += 1
plain = n / (time.perf_counter() - start)
history = game.history
animation = Animation(history, width=int(sys.argv[2]))
start = time.perf_counter(); n = 0
while time.perf_counter() - start < float(sys.argv[1]) / 2:
    animation.frame(n % history.n_snapshots); n += 1
print(plain, n / (time.perf_counter() - start))
"""


def post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url + "api/control", data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})  # the server refuses others
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--speed", type=int, default=50,
                        help="iterations per frame at most (the default of toygan live)")
    parser.add_argument("--controls", type=int, default=20)
    parser.add_argument("--width", type=int, default=960, help="frame width in pixels (default 960)")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("needs two CPUs: one trains, the other draws")

    reference = [sys.executable, "-c", REFERENCE, str(args.seconds), str(args.width)]
    before, drawn = map(float, subprocess.run(reference, capture_output=True, text=True, check=True).stdout.split())
    server = subprocess.Popen(
        [sys.executable, "-m", "toygan", "live", "--no-browser", "--port", "0", "--speed", str(args.speed),
         "--width", str(args.width),
         "--out", tempfile.mkdtemp(prefix="toygan-live-bench-")],
        stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[-1]  # printed once the server is up
        with connect(url.replace("http", "ws") + "ws", max_size=None) as ws:
            post(url, {"action": "play"})
            frames, first_step, start = 0, None, time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                message = ws.recv()
                if isinstance(message, bytes):
                    frames += 1
                else:
                    step = json.loads(message)["step"]
                    first_step = step if first_step is None else first_step
            elapsed = time.perf_counter() - start
            iterations = (step - first_step) / elapsed
            latencies = []
            for i in range(args.controls):
                lr = 1e-3 if i % 2 else 5e-4
                sent = time.perf_counter()
                state = post(url, {"set": {"train.lr_d": lr}})
                latencies.append(time.perf_counter() - sent)
                assert state["settings"]["train.lr_d"] == lr and state["running"]
                ws.recv()  # keep reading frames between controls, as the page does
            post(url, {"action": "pause"})
    finally:
        server.terminate()
        server.wait(60)
    after, _ = map(float, subprocess.run(reference, capture_output=True, text=True, check=True).stdout.split())
    plain = (before + after) / 2
    fps = frames / elapsed
    print(f"toygan live, ring preset, {args.width} px, 3 panels, {args.speed} iterations per frame at "
          f"most, {os.cpu_count()} CPUs")
    print(f"frames reaching the client: {fps:.1f}/s; animation drawing alone (no training): {drawn:.1f}/s")
    print(f"iterations while live: {iterations:.0f}/s; plain loop (nothing drawn): {plain:.0f}/s "
          f"({before:.0f} before, {after:.0f} after) (live keeps {iterations / plain:.2f}× of it)")
    print(f"control latency while playing: median {1000 * statistics.median(latencies):.0f} ms, "
          f"worst {1000 * max(latencies):.0f} ms over {args.controls} changes of train.lr_d")


if __name__ == "__main__":
    main()
