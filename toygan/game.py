"""The game as an object: two players, their optimisers, the target, the seeded streams and the
step counter; step it, steer it, record it, save it.

    game = toygan.Game(config)          # or Game(config, generator=my_g, discriminator=my_d)
    game.d_step(); game.g_step()        # one update of one player
    game.step()                         # one iteration of the configured scheme (Algorithm 1)
    game.update({"train.lr_d": 1e-4})   # a validated change, recorded as an event
    history = game.run()                # on to train.steps, recording snapshots

Every tensor carries a leading member axis E: an ensemble of E independent runs (seeds) trains at
once. A user's own ``nn.Module`` plugs in as a one-member game (``toygan.players``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from toygan.checkpoint import load_run, save_run
from toygan.config import NEW_OPTIMIZER, Config, check_mutable
from toygan.data import game_targets, stored_files
from toygan.device import computing, resolve_device
from toygan.errors import MetricError, ToyganError, first_line
from toygan.evaluation import EVALUATION_CUT, evaluate
from toygan.history import History
from toygan.methods import D, G, descend, iterate
from toygan.neural import NeuralPlay, user_batch
from toygan.objectives import OBJECTIVES, Objective
from toygan.optimizers import make_optimizer
from toygan.players import (
    Network,
    given_networks,
    make_players,
    own_code_raised,
    parameter_count,
    plain_networks,
)
from toygan.progress import progress_bar
from toygan.recorder import Recorder
from toygan.resources import check_fits
from toygan.signals import CtrlC
from toygan.streams import Streams
from toygan.validate import as_index, functions, go_on

__all__ = ["Game", "Callback", "resolve_device", "FAILED"]

FAILED = "failed"
"""How the message of a run that your own code stopped begins (a metric or a network that raised):
its status is then ``failed``; once the code is fixed, a run whose state is whole goes on."""

Callback = Callable[["Game", bool], "bool | None"]
"""Called after every step with the game and whether a snapshot was just recorded; ``False`` (or
raising ``StopIteration``) stops the run there."""

class Game:
    """A GAN being trained: Goodfellow et al. (2014), Algorithm 1, for E ensemble members at once.

    Args:
        config: the run; ``None`` for the defaults (a non-saturating GAN on the ring of 8).
        generator: your own ``nn.Module`` mapping noise ``(n, model.noise_dim)`` to points
            ``(n, d)`` (a one-member game), or a factory, a function returning a fresh one: then
            the ``train.members`` members (seed + i each) train as one batched ensemble. ``None``
            for the factory ``model.generator`` names, else toygan's MLP.
        discriminator: the same for D, mapping points ``(n, d · train.pack)`` to logits
            ``(n,)`` or ``(n, 1)`` (or critic values, or scores for least squares).

    Raises:
        ToyganError: for a config or networks that cannot make a game, with the reason.
    """

    def __init__(self, config: Config | None = None, *, generator: Network | None = None,
                 discriminator: Network | None = None) -> None:
        if config is not None and not isinstance(config, Config):
            raise ToyganError(f"config: {type(config).__name__} is not a toygan.Config (build one "
                              "with toygan.Config(), Config.load(path) or a preset)")
        # a validated copy: a config edited by attribute is checked again, and the game's own
        # settings change only through update()
        cfg = Config.from_dict(config.to_dict()) if config is not None else Config()
        self.config = cfg
        self.initial_config = Config.from_dict(cfg.to_dict())
        """The config the game started with; ``config`` is the current one (see ``update``)."""
        t = cfg.train
        self.device = resolve_device(t.device)
        self.files, self.target, self.fake_target = game_targets(cfg)
        """The data files the targets read (path → bytes: the history keeps them), p_data and the
        fixed p_g (None when G makes the fake samples)."""
        self.dim = self.target.dim  # 2, or 1 for a 1D target
        generator, discriminator = given_networks(cfg, generator, discriminator)
        own = (parameter_count(generator, "generator"), parameter_count(discriminator, "discriminator"))
        check_fits(cfg, own_params=own, dim=self.dim)  # before anything big is allocated
        self.members = t.members
        self.streams = Streams(t.seed, t.members)
        self.own = {"generator": generator is not None, "discriminator": discriminator is not None}
        with self._threads():
            self.G, self.D = make_players(cfg, self.streams, self.dim, generator, discriminator)
            self.G, self.D = self.G.to(self.device), self.D.to(self.device)
            self._new_optimizers()
            self.play = NeuralPlay(self)
            """The game as the minimax methods see it (``toygan.methods``)."""
            self.recorder = Recorder(self)
            self.iteration = 0
            """Generator steps (iterations of the scheme) taken so far."""
            self.moves = 0
            """Changes to the players so far (updates of either, settings, loads): a snapshot taken
            at the same count shows the game as it is."""
            self.events: list[dict] = []
            self._sum_d = torch.zeros(self.members, device=self.device)
            self._sum_g = torch.zeros(self.members, device=self.device)
            self._since = 0  # iterations since the last snapshot
            self.evaluation: dict[str, Any] | None = None
            """The last evaluation ``run`` made at the end of the run (None before one)."""
            self._diverged = ""
            self._stopped = ""
            self._whole = True  # False once a step was cut short: the state is then not resumable
            self.holder: int | None = None
            """The thread that alone may move the game (a live session's worker), or None for any."""
            self.folder: Path | None = None
            self._folder_stamp: tuple | None = None  # which save of the folder is this game's
            """The run folder this game was loaded from or last saved to (its own: ``save`` may
            write there again)."""
            with self.evaluating(), self._own_code_fails("the first snapshot"):
                if not self.recorder.record(self, self._sum_d, self._sum_g):
                    raise ToyganError(
                        "the game's first snapshot holds NaN or inf before any training: the "
                        "target's scale (data.params, record.window) or the networks' outputs "
                        "are out of float32's range")
            for key in ("loss_d", "loss_g"):  # no training loss before step 0
                self.recorder.snapshots[0][key][:] = np.nan

    # --- the players ---

    @property
    def objective(self) -> Objective:
        return OBJECTIVES[self.config.train.loss]

    @property
    def trains_generator(self) -> bool:
        return self.config.train.generator_mode.trained

    @property
    def noise_dim(self) -> int:
        return self.config.model.noise_dim

    @property
    def batch_points(self) -> int:
        """Samples per minibatch: ``batch_size`` packs of ``pack`` points."""
        return self.config.train.batch_size * self.config.train.pack

    # --- the two moves ---

    def d_step(self, real: Any = None, noise: Any = None) -> torch.Tensor:
        """One update of D on a minibatch: ``real`` points and G's samples of ``noise`` (each drawn
        fresh from the run's streams when not given; against a fixed p_g, its samples). Returns D's
        loss per member ``(E,)``."""
        self._check_holder("d_step")
        if self._diverged:
            raise ToyganError(f"d_step: the game cannot go on: {self._diverged}")
        if real is not None:
            real = self.play.user_members(real, self.dim, "real")
        if noise is not None:
            noise = self.play.user_members(noise, self.noise_dim, "noise")
        n = self.batch_points if real is None else real.shape[1]
        if noise is not None and noise.shape[1] != n:
            raise ToyganError(f"noise: {noise.shape[1]} vectors for {n} real points; a minibatch "
                              "has as many of each")
        with self._threads():
            return descend(self.play, D, self.play.loss(D, real, noise))

    def g_step(self, noise: Any = None) -> torch.Tensor:
        """One update of G against the current D on G's samples of ``noise`` (drawn fresh when not
        given); with ``train.unroll`` = K, against D looked K steps ahead (Metz et al. 2016).
        Returns G's loss per member ``(E,)``."""
        self._check_holder("g_step")
        if self._diverged:
            raise ToyganError(f"g_step: the game cannot go on: {self._diverged}")
        if not self.trains_generator:
            raise ToyganError(f"g_step: train.generator = {self.config.train.generator!r}, so G does "
                              'not train; game.update({"train.generator": "trained"}) unfreezes it')
        z = None if noise is None else self.play.user_members(noise, self.noise_dim, "noise")
        with self._threads():
            return descend(self.play, G, self.play.loss(G, noise=z))

    # --- one iteration, and the loop ---

    def step(self) -> bool:
        """One iteration of the configured scheme (``train.updates``), then a snapshot on the
        recording cadence. Returns True when a snapshot was recorded.

        Raises:
            ToyganError: if the game has diverged (its weights are NaN or inf).
        """
        self._check_holder("step")
        if self._diverged:
            raise ToyganError(f"the game cannot go on: {self._diverged}")
        t = self.config.train
        self._stopped = ""  # going on: whatever stopped the game is past
        with self._threads():
            losses_d, loss_g = iterate(self.play, t.updates)
            for loss in losses_d:
                self._sum_d += loss / len(losses_d)
            self._sum_g += loss_g
            self._since += 1
            self.iteration += 1
            loss_d = losses_d[-1]
            finite = torch.isfinite(loss_d) & torch.isfinite(loss_g)
            if not finite.all():
                bad = int(torch.nonzero(~finite)[0])
                self._diverged = (f"training diverged at step {self.iteration}: member {bad} has "
                                  f"loss_d = {loss_d[bad].item()}, loss_g = {loss_g[bad].item()}")
                return False
            if self.config.snapshot_due(self.iteration):
                return self.record()
        return False

    def record(self) -> bool:
        """Take a snapshot now (mean losses since the previous one); False if the game has
        diverged (a recorded value is NaN or inf: nothing is kept)."""
        since = max(self._since, 1)
        with self.evaluating():
            ok = self.recorder.record(self, self._sum_d / since, self._sum_g / since)
        if not ok:
            self._diverged = f"training diverged at step {self.iteration}: a recorded value is NaN or inf"
            return False
        self._sum_d.zero_()
        self._sum_g.zero_()
        self._since = 0
        return True

    def snapshot(self, needs: frozenset[str] | None = None) -> dict[str, np.ndarray] | None:
        """What a snapshot would record now, without keeping it (the live view draws these); None
        if a value is NaN or inf. ``needs`` limits the costlier parts (``Recorder.snapshot``);
        the losses are the means since the last snapshot, or that snapshot's right after one."""
        since = max(self._since, 1)
        with self.evaluating():
            snap = self.recorder.snapshot(self, self._sum_d / since, self._sum_g / since, needs)
        if snap is not None and not self._since:
            snap.update({k: self.recorder.snapshots[-1][k] for k in ("loss_d", "loss_g")})
        return snap

    def run(self, steps: int | None = None, *, callbacks: Iterable[Callback] = (),
            progress: bool = True) -> History:
        """Step on to ``train.steps`` (or ``steps`` more, raising ``train.steps`` if needed) and
        return the history. Ctrl-C stops at the end of the current step with a whole state (a
        second one at once); a callback that returns ``False`` or raises ``StopIteration`` stops
        there too; a diverging game stops at the first non-finite value. The game can go on after
        any stop but divergence."""
        end = self.config.train.steps
        if steps is not None:
            given, steps = steps, as_index(steps)
            if steps is None or not 0 <= steps <= 10**9:
                raise ToyganError(f"steps = {given!r}: must be an integer from 0 to 10**9")
            end = self.iteration + steps
            if end > self.config.train.steps:
                self.update({"train.steps": end})
        callbacks = functions(callbacks)
        self._stopped = ""
        bar = progress_bar(total=end, initial=self.iteration, disable=not progress, unit="step",
                   desc="training", dynamic_ncols=True, mininterval=0.5)
        shown = self.iteration
        with CtrlC() as ctrl_c, self._threads(), contextlib.closing(bar):
            try:
                if self._since and self.config.snapshot_due(self.iteration) and not self._diverged:
                    self.record()  # the snapshot your metric failed in: taken as the run goes on
                # train.steps may be lowered on the way (a callback's update)
                while self.iteration < min(end, self.config.train.steps) and not self._diverged:
                    try:
                        recorded = self.step()
                    except ToyganError:
                        raise  # toygan's own words (a metric of yours failing: MetricError, below)
                    except (Exception, SystemExit) as err:  # noqa: BLE001 - your networks', else raised again
                        why = self._own_failure(err)
                        if why is None:
                            raise
                        self._stopped = f"{FAILED} during step {self.iteration + 1}: {why}"
                        self._whole = False  # the step was cut short: no state to go on from
                        break
                    if recorded:
                        bar.update(self.iteration - shown)
                        shown = self.iteration
                        last = self.recorder.snapshots[-1]
                        bar.set_postfix(D_real=f"{last['d_real'][0]:.2f}",
                                        D_fake=f"{last['d_fake'][0]:.2f}", refresh=False)
                    if not go_on(callbacks, self, recorded):
                        self._stopped = f"stopped by a callback at step {self.iteration}"
                        break
                    if ctrl_c.pressed and self.iteration < end:
                        self._stopped = f"training interrupted at step {self.iteration}"
                        break
            except KeyboardInterrupt:  # a second Ctrl-C, or one where no handler could be installed
                self._stopped = f"training interrupted during step {self.iteration + 1}"
                self._whole = False
            except MetricError as err:  # your own metric failed at a snapshot: keep what was recorded
                self._stopped = f"{FAILED} at step {self.iteration}: {err}"
            self._final_evaluation(ctrl_c, bar)
        return self.history

    @contextlib.contextmanager
    def _own_code_fails(self, where: str) -> Iterator[None]:
        """Your networks' code raising in the block is one ToyganError line naming ``where``."""
        try:
            yield
        except (Exception, SystemExit) as err:  # noqa: BLE001 - your networks' code, else raised again
            why = None if isinstance(err, ToyganError) else self._own_failure(err)
            if why is None:
                raise
            raise ToyganError(f"{why} at {where}") from None

    def _own_failure(self, err: BaseException) -> str | None:
        """``your discriminator raised ValueError (...)`` where your networks' code raised ``err``
        (``own_code_raised``); None where it is toygan's or a library's, to be raised again."""
        mine = {name: net for name, net in (("generator", self.G), ("discriminator", self.D))
                if self.own[name]}
        which = own_code_raised(err, mine) if mine else None
        return None if which is None else f"your {which} raised {type(err).__name__} ({first_line(err)})"

    def _final_evaluation(self, ctrl_c: CtrlC, bar: Any) -> None:
        """The evaluation protocol once a run completes. Ctrl-C stops it: the run then counts as
        interrupted, and the next ``run`` (``--resume``) evaluates it. A metric of yours that fails
        on the evaluation's samples is left out of it (None), said once; toygan's are kept."""
        n = self.config.record.eval_samples
        current = self.evaluation is not None and self.evaluation["step"] == self.iteration
        if self.status != "completed" or not n or current:
            return
        bar.set_description(f"evaluating on {n:,} samples")
        try:
            found = None if ctrl_c.pressed else self.evaluate(stop=lambda: ctrl_c.pressed)
        except KeyboardInterrupt:  # a second Ctrl-C
            found = None
        if found is None:
            self._stopped = EVALUATION_CUT
        self.evaluation = found

    def evaluate(self, n_samples: int | None = None, *, stop: Callable[[], bool] | None = None
                 ) -> dict[str, Any] | None:
        """The evaluation protocol (``toygan.evaluation``) on the game as it stands, on
        ``n_samples`` samples per member (default ``record.eval_samples``, 2,500): ``{"step",
        "n_samples", "jsd_against", "metrics": {name: one value per member}}``; None if ``stop()``
        turned true on the way. A completed ``run`` does it once and its history keeps it
        (``History.evaluation``)."""
        with self._threads():
            return evaluate(self, n_samples, stop=stop)

    def interrupt(self, message: str, *, whole: bool = True) -> None:
        """Mark the game as stopped from outside its own loop (a server shutting down, a
        command's second Ctrl-C): ``message`` says why; ``whole=False`` when a step was cut
        short, so that its state, no longer consistent, is not saved as a checkpoint."""
        self._stopped = self._stopped or message
        self._whole = self._whole and whole

    @property
    def state_is_whole(self) -> bool:
        """Whether the game's state can be saved and resumed (no step was cut short)."""
        return self._whole

    # --- steering ---

    def update(self, changes: Mapping[str, Any]) -> None:
        """Change settings mid-run, e.g. ``{"train.lr_d": 1e-4, "train.loss": "hinge"}``: validated
        together exactly like a config (nothing changes if any is refused), then applied from the
        next step and recorded in ``history.events``.

        Raises:
            ToyganError: naming the key, for an unknown key, a bad value, a combination that does not
                fit, or a setting that cannot change mid-run (with the reason).
        """
        self._check_holder("update")
        if not isinstance(changes, Mapping):
            raise ToyganError(f"update: {changes!r} is not a mapping of dotted config keys to values")
        for key in changes:
            check_mutable(key)
        with stored_files(self.files):  # (checking the config reads its data files)
            new = self.config.replace(**changes)
        changed = self.config.changes(new, changes)
        if "train.steps" in changed and new.train.steps < self.iteration:
            raise ToyganError(f"train.steps = {new.train.steps}: the game is at step {self.iteration}")
        self.config = new
        self.moves += 1
        self._apply(changed)
        self.events.extend({"step": self.iteration, "key": k, "old": _listed(a), "new": _listed(b)}
                           for k, (a, b) in changed.items())

    def _new_optimizers(self) -> None:
        t = self.config.train
        self.opt_g = make_optimizer(t, self.G.parameters(), t.lr_g)
        self.opt_d = make_optimizer(t, self.D.parameters(), t.lr_d)

    def _apply(self, changed: dict[str, tuple]) -> None:
        if any(k in changed for k in NEW_OPTIMIZER):  # a new optimiser starts with empty state
            self._new_optimizers()
        for key, opt in (("train.lr_g", self.opt_g), ("train.lr_d", self.opt_d)):
            if key in changed:
                for group in opt.param_groups:
                    group["lr"] = changed[key][1]

    # --- where it stands, for a picture drawn elsewhere ---

    def position(self, recorded_from: int = 0) -> dict[str, Any]:
        """Where the game stands now, in plain values another process can take (``follow``): the
        players' weights, the settings, the counters, the events, why it stopped, and the
        snapshots recorded from index ``recorded_from`` on. Not the optimisers or the random
        streams: a game that follows can be drawn, not trained on."""
        rec = self.recorder
        return {
            "weights": {name: {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
                        for name, net in (("G", self.G), ("D", self.D))},
            "config": self.settings(), "iteration": self.iteration, "moves": self.moves,
            "since": self._since, "sums": tuple(s.cpu().numpy().copy() for s in (self._sum_d, self._sum_g)),
            "events": [dict(e) for e in self.events], "diverged": self._diverged, "stopped": self._stopped,
            "recorded": (recorded_from, rec.steps[recorded_from:], rec.snapshots[recorded_from:], rec.moves),
        }

    def settings(self) -> dict[str, dict[str, Any]]:
        """``config.to_dict()``, made once per config (the game's changes replace its config, never
        edit it): a live frame asks for it 30 times a second."""
        cached = self.__dict__.get("_settings")
        if cached is None or cached[0] is not self.config:
            cached = self._settings = (self.config, self.config.to_dict())
        return cached[1]

    def follow(self, position: Mapping[str, Any]) -> None:
        """Take ``position`` (another game's, of the same config and seed): this game then shows
        what that one does, for drawing."""
        for name, net in (("G", self.G), ("D", self.D)):
            net.load_state_dict({k: torch.from_numpy(v) for k, v in position["weights"][name].items()})
        if position["config"] != self.settings():
            with stored_files(self.files):  # (checking the config reads its data files)
                self.config = Config.from_dict(position["config"])
        self.iteration, self.moves, self._since = position["iteration"], position["moves"], position["since"]
        self._sum_d, self._sum_g = (torch.from_numpy(s).to(self.device) for s in position["sums"])
        self.events = [dict(e) for e in position["events"]]
        self._diverged, self._stopped = position["diverged"], position["stopped"]
        self.recorder.keep(*position["recorded"])

    # --- what the game holds ---

    @property
    def status(self) -> str:
        """``completed`` (at ``train.steps``), ``diverged`` (a NaN or inf: it cannot go on),
        ``failed`` (your own metric or network raised: ``message`` says which and why),
        ``interrupted`` (Ctrl-C or a callback stopped ``run``) or ``paused`` (before
        ``train.steps``, nothing stopped it: new, or stepped by hand)."""
        if self._diverged:
            return "diverged"
        if self._stopped.startswith(FAILED + " "):
            return "failed"
        if self.iteration >= self.config.train.steps:
            return "interrupted" if self._stopped == EVALUATION_CUT else "completed"
        return "interrupted" if self._stopped else "paused"

    @property
    def message(self) -> str:
        """Why the game stands where it does, and what it kept; empty when completed."""
        status = self.status
        if status == "completed":
            return ""
        if status == "diverged":
            why = self._diverged
        else:
            why = self._stopped or f"paused at step {self.iteration} of {self.config.train.steps}"
        steps = self.recorder.steps
        kept = f"{len(steps)} snapshot{'' if len(steps) == 1 else 's'}"
        return f"{why}; kept {kept}, up to step {steps[-1]}"

    @property
    def history(self) -> History:
        """A ``History`` of everything recorded so far, with the config the game started with
        (``events`` say what changed since) and how it stands now."""
        current = self.evaluation if self.evaluation and self.evaluation["step"] == self.iteration else None
        return self.recorder.history(self.initial_config, status=self.status, message=self.message,
                                     events=self.events, files=self.files, evaluation=current)


    def on_points(self, points: torch.Tensor) -> torch.Tensor:
        """What D says (``objective.reading``) at shared points ``(P, d)``, per member → ``(E, P)``;
        a packing D sees packs of copies of each point."""
        return self.play.on_points(points)

    def discriminator(self, member: int = 0) -> Callable[[Any], Any]:
        """D of one member as a function of points ``(n, d)`` (a NumPy array or a tensor) returning
        what it says ``(n,)``: the probability "real" (σ of the logit; LSGAN's score), or the critic's
        value for the Wasserstein and hinge objectives. No gradients are kept; the result is NumPy
        for NumPy input, else a tensor. A packing D is asked about packs of copies of each point."""
        self._check_member(member)

        def d_of(x: Any) -> Any:
            as_numpy = not isinstance(x, torch.Tensor)
            pts = user_batch(x, "x")
            if pts.dim() != 2 or pts.shape[1] != self.dim:
                raise ToyganError(f"x: shape {tuple(pts.shape)}; expected (n, {self.dim})")
            with self.evaluating():
                out = self.on_points(pts.to(self.device))[member].cpu()
            return out.numpy() if as_numpy else out

        return d_of

    def sample(self, n: int, member: int = 0, seed: int | None = None) -> np.ndarray:
        """``n`` generator samples of one member ``(n, d)`` (with a fixed p_g, its samples): from
        noise seeded by ``seed``, or from the game's own sampling stream, which training never uses."""
        self._check_member(member)
        return self.play.sample(n, member, seed)

    def networks(self, member: int = 0) -> tuple[nn.Module, nn.Module]:
        """Plain ``nn.Module`` copies of G and D for one member, in eval mode: G maps noise
        ``(n, noise_dim)`` to points ``(n, d)``, D maps points ``(n, d · pack)`` to logits (raw
        outputs) ``(n,)``. Your own networks come back as copies of themselves."""
        self._check_member(member)
        return tuple(net.eval() for net in plain_networks(self.G, self.D, member))

    def _check_holder(self, what: str) -> None:
        """Two threads moving one game would corrupt it: while a live session (a widget) holds the
        game, only its worker may."""
        if self.holder is not None and self.holder != threading.get_ident():
            raise ToyganError(f"{what}: this game is played by a live session (a widget); steer it "
                              "there, or close the widget (w.close()) first")

    def _check_member(self, member: int) -> None:
        if as_index(member) is None or not 0 <= member < self.members:
            raise ToyganError(f"member = {member!r}: the game has members 0 to {self.members - 1}")

    def __repr__(self) -> str:
        t = self.config.train
        own = [k for k, v in self.own.items() if v]
        return (f"Game(step {self.iteration} of {t.steps}, {self.members} member(s), "
                f"data={self.config.data.name!r}, loss={t.loss!r}, updates={t.updates!r}, k={t.d_steps}"
                f"{', own ' + ' and '.join(own) if own else ''}, status={self.status!r})")

    def _threads(self) -> contextlib.AbstractContextManager:
        """While the game computes: ``toygan.device.computing`` with its threads and own stream."""
        # one member's own networks draw from its stream; several members (OwnEnsemble) swap in
        # each member's stream themselves
        own = any(self.own.values()) and self.members == 1
        return computing(self, self.config.train.threads, self.streams.modules[0] if own else None)

    @contextlib.contextmanager
    def evaluating(self) -> Iterator[None]:
        """Both players in eval mode (dropout off, batch norm on its running statistics, spectral
        norm without its power iteration) while they are looked at, not trained; restored after."""
        modes = [m.training for m in (self.G, self.D)]
        self.G.eval()
        self.D.eval()
        try:
            with self._threads():
                yield
        finally:
            self.G.train(modes[0])
            self.D.train(modes[1])

    # --- saving and loading: see toygan.checkpoint ---

    def save(self, run_dir: str | Path, *, replace: bool = False) -> Path:
        """Write ``config.toml`` (the current settings), ``history.npz`` and, unless a step was cut
        short, ``checkpoint.pt`` (the state) into ``run_dir``; returns the folder.

        Raises:
            ToyganError: for a folder that holds another run (this game's own, loaded from or
                saved to before, is written again; ``replace=True`` replaces another), or that
                another toygan process is writing.
            OSError: if the files cannot be written (a full disk): the folder keeps its previous
                save whole, and the error says what it holds.
        """
        return save_run(self, run_dir, replace=replace)

    @classmethod
    def load(cls, run_dir: str | Path, *, generator: Network | None = None,
             discriminator: Network | None = None) -> Game:
        """The game ``save`` wrote, ready to go on (or to be evaluated); pass your own networks
        again (fresh instances of the same classes) if the game was played with them.

        Raises:
            ToyganError: for a folder without a readable run, or networks that do not fit it.
        """
        return load_run(cls, run_dir, generator=generator, discriminator=discriminator)


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value  # events are saved as JSON
