"""Typed, validated run configuration, read from and written to TOML.

A ``Config`` has five sections, one per concern: ``data``, ``fake``, ``model``, ``train``,
``record``. Every field is checked when the config is built, so a bad value fails before any work
starts, with a message naming the field (``train.steps = -5: ...``), the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from toygan.atomic import atomic_path
from toygan.data import MIN_WINDOW_SIDE, SMALLEST_BANDWIDTH, WINDOW_REACH, make_target
from toygan.errors import ToyganError
from toygan.factories import METRIC, check_factory_name, metric_name
from toygan.metrics import RECORDED, TAKEN
from toygan.models import ACTIVATIONS, PRIORS
from toygan.objectives import OBJECTIVES, REGULARIZERS
from toygan.optimizers import OPTIMIZERS
from toygan.methods import CONSENSUS_METHODS, METHODS
from toygan.unrolling import UNROLLED_STEPS
from toygan.validate import choice, integer, number, path_arg, plain, read_text, shown

__all__ = ["Config", "DataConfig", "FakeConfig", "ModelConfig", "TrainConfig", "RecordConfig", "MUTABLE",
           "check_mutable", "SCALARS"]


@dataclass(frozen=True)
class GeneratorMode:
    """What makes the fake samples: a generator network, trained or frozen, or the ``[fake]``
    target (no network: its samples, and p_g, are known exactly)."""

    network: bool
    trained: bool


GENERATOR_MODES = {"trained": GeneratorMode(network=True, trained=True),
                   "frozen": GeneratorMode(network=True, trained=False),
                   "target": GeneratorMode(network=False, trained=False)}
"""Name (``train.generator``) → what makes the fake samples."""
DEVICES = ("cpu", "cuda", "auto")
SCALARS = RECORDED
"""Per-snapshot scalars a run records, each ``(T, E)`` (``toygan.metrics.METRICS`` says what each is)."""
MANIFOLD_LINES, MANIFOLD_POINTS = 11, 41
"""The generator manifold is G on 2 × 11 latent grid lines (z1 varying at fixed z2, then z2 at
fixed z1) of 41 points each."""
FIELD_SIZE = 15
"""The push on generated points is also recorded on a 15 × 15 grid over the window."""

MAX_RECORDING_BYTES = 2 * 2**30
"""The most a run may record, in memory and in its history file (2 GiB)."""
MAX_EVAL_SAMPLES = 10_000
"""The most samples an evaluation takes (``record.eval_samples``, ``Game.evaluate``, a history's
evaluation): its JSD's kernel estimate costs n² (about 4 s a member at 10,000 on the 2-core
reference machine: benchmarks/evaluation_cost.py)."""


@dataclass
class DataConfig:
    """What the generator must learn."""

    name: str = "ring"
    """Target distribution, a name in ``toygan.data.TARGETS``: ring, grid, mixture, mixture1d,
    moons, circles, spiral, swiss_roll, points (a file of points) or image (an image as a density,
    darker pixels carrying more mass)."""
    params: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of the target's factory, e.g. ``{n_modes = 8, radius = 2.0, std = 0.02}``."""

    def __post_init__(self) -> None:
        _plain_fields(self)
        if not isinstance(self.params, dict):
            raise ToyganError(f"data.params = {self.params!r}: must be a table of target parameters")
        make_target(self.name, self.params)  # raises a ToyganError naming the bad name or value


@dataclass
class FakeConfig:
    """A fixed p_g given as a target, for ``train.generator = "target"``: D alone is trained against
    it, and D* = p_data / (p_data + p_g) is known exactly."""

    name: str = ""
    """Target of the fake samples, a name in ``toygan.data.TARGETS``; empty: none."""
    params: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of that target's factory."""

    def __post_init__(self) -> None:
        _plain_fields(self)
        if not isinstance(self.params, dict):
            raise ToyganError(f"fake.params = {self.params!r}: must be a table of target parameters")
        if self.name == "" and self.params:
            raise ToyganError(f"fake.params = {self.params!r}: given without fake.name")
        if self.name != "":
            try:
                make_target(self.name, self.params)
            except ToyganError as err:  # the data module names fields data.*; these are fake.*
                raise ToyganError(str(err).replace("data.", "fake.", 1)) from None


@dataclass
class ModelConfig:
    """The two networks: MLPs with ``depth`` hidden layers of ``width`` units."""

    noise_dim: int = 2
    """Dimension of the generator's noise z."""
    prior: str = "normal"
    """Noise prior p_z: ``normal`` (standard normal) or ``uniform`` (on [−1, 1])."""
    g_width: int = 128
    """Hidden units per layer of the generator."""
    g_depth: int = 2
    """Hidden layers of the generator."""
    d_width: int = 128
    """Hidden units per layer of the discriminator."""
    d_depth: int = 2
    """Hidden layers of the discriminator."""
    activation: str = "relu"
    """Hidden activation of both networks: relu, leaky_relu, tanh, elu."""
    generator: str = ""
    """Your own generator: ``"package.module:function"``, a function returning a fresh
    ``nn.Module`` from noise ``(n, noise_dim)`` to points ``(n, d)``; "" for toygan's MLP (the
    width, depth and activation above)."""
    generator_args: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for ``generator``'s function."""
    discriminator: str = ""
    """Your own discriminator: ``"package.module:function"`` returning a fresh ``nn.Module`` from
    points ``(n, d · train.pack)`` to logits ``(n,)`` or ``(n, 1)``; "" for toygan's MLP."""
    discriminator_args: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for ``discriminator``'s function."""

    def __post_init__(self) -> None:
        _plain_fields(self)
        for name in ("generator", "discriminator"):
            check_factory_name(f"model.{name}", getattr(self, name))
            args = getattr(self, f"{name}_args")
            if not isinstance(args, dict):
                raise ToyganError(f"model.{name}_args = {shown(args)}: must be a table of keyword "
                                  "arguments")
            if args and not getattr(self, name):
                raise ToyganError(f"model.{name}_args = {shown(args)}: given without model.{name}")
        integer("model.noise_dim", self.noise_dim, 1, 1024)
        choice("model.prior", self.prior, PRIORS)
        integer("model.g_width", self.g_width, 1, 4096)
        integer("model.g_depth", self.g_depth, 0, 16)
        integer("model.d_width", self.d_width, 1, 4096)
        integer("model.d_depth", self.d_depth, 0, 16)
        choice("model.activation", self.activation, ACTIVATIONS)


@dataclass
class TrainConfig:
    """The game: Goodfellow et al. (2014), Algorithm 1."""

    steps: int = 3000
    """Generator updates (training iterations)."""
    d_steps: int = 1
    """k: discriminator updates per generator update, each on fresh minibatches."""
    batch_size: int = 256
    """m: minibatch size, for real and for noise samples."""
    loss: str = "non-saturating"
    """The objective, a name in ``toygan.objectives.OBJECTIVES``: ``saturating`` (G minimises
    E[log(1 − D(G(z)))]), ``non-saturating`` (−E[log D(G(z))]), ``least-squares``, ``wasserstein``
    or ``hinge``."""
    updates: str = "alternating"
    """The minimax method, a name in ``toygan.methods.METHODS``: ``alternating`` (k D steps, then a
    G step against the updated D: Algorithm 1), ``simultaneous``, ``consensus``, ``extragradient``,
    ``optimistic``, ``sga``, ``cgd`` or ``hamiltonian`` (these move both players from one point:
    d_steps = 1)."""
    regularizer: str = "none"
    """Penalty on D: ``none``, ``r1`` (γ/2·E‖∇D‖² on real points), ``r2`` (on generated points),
    ``gradient-penalty`` (WGAN-GP: γ·E(‖∇D(x̂)‖ − 1)² on interpolates)."""
    gamma: float = 0.0
    """Weight of the regulariser; > 0 exactly when one is chosen."""
    clip: float = 0.0
    """WGAN weight clipping: D's weights are clamped to [−clip, clip] after each D step; 0: off.
    Only with ``loss = "wasserstein"``."""
    instance_noise: float = 0.0
    """σ of Gaussian noise added to every point D sees, real and generated; 0: off."""
    consensus: float = 0.0
    """γ of consensus optimisation: both players also descend γ·½‖v‖², v all players' gradients
    (Mescheder et al. 2017), with ``simultaneous``, ``extragradient`` or ``optimistic`` updates;
    0: off (``updates = "consensus"`` then takes γ = 0.3)."""
    sga_lambda: float = 1.0
    """λ of ``updates = "sga"`` (symplectic gradient adjustment); its sign is chosen by the
    alignment rule of Balduzzi et al. (2018)."""
    lookahead_k: int = 0
    """Lookahead-minmax (Chavdarova et al. 2021) around any method: every k iterations both
    players' slow weights move ``lookahead_alpha`` of the way to the fast ones, which restart
    there; 0: off."""
    lookahead_alpha: float = 0.5
    """α of Lookahead-minmax, in (0, 1]."""
    pack: int = 1
    """m: D judges packs of m samples concatenated, real packs against generated packs (PacGAN,
    Lin et al. 2018); a minibatch then holds batch_size packs; 1: off."""
    unroll: int = 0
    """K: G's loss is taken against D unrolled K steps ahead, with gradients through the unrolled
    steps (Metz et al. 2016); 0: off. With ``adam`` or ``sgd`` and alternating updates."""
    generator: str = "trained"
    """``trained`` (the game); ``frozen`` (G keeps its initial weights and only D trains); ``target``
    (no G: fake samples come from the ``[fake]`` target and only D trains)."""
    optimizer: str = "adam"
    """Optimiser of both networks: ``adam``, ``sgd`` or ``rmsprop``."""
    lr_g: float = 1e-3
    """Generator learning rate."""
    lr_d: float = 1e-3
    """Discriminator learning rate."""
    betas: list[float] = field(default_factory=lambda: [0.5, 0.999])
    """Adam's (β1, β2)."""
    momentum: float = 0.0
    """SGD momentum."""
    seed: int = 0
    """Seed of the run; ensemble member i's streams are seeded with seed + i (it starts as the single
    run of that seed does, then drifts from it: docs/reliability.md)."""
    members: int = 1
    """E: independent runs (seeds) trained at once as one batched ensemble."""
    threads: int = 1
    """CPU threads for torch during training; one is fastest for networks this small."""
    device: str = "cpu"
    """Where training runs: cpu, cuda, or auto (cuda if torch sees one). Large ensembles are where a
    GPU pays off; results are bit-identical from run to run on the CPU only."""

    @property
    def generator_mode(self) -> GeneratorMode:
        """What makes the fake samples (``generator`` looked up in ``GENERATOR_MODES``)."""
        return GENERATOR_MODES[self.generator]

    def __post_init__(self) -> None:
        _plain_fields(self)
        integer("train.steps", self.steps, 1, 10**9)
        integer("train.d_steps", self.d_steps, 1, 100)
        integer("train.batch_size", self.batch_size, 1, 65536)
        choice("train.loss", self.loss, OBJECTIVES)
        choice("train.updates", self.updates, METHODS)
        choice("train.regularizer", self.regularizer, REGULARIZERS)
        self.gamma = number("train.gamma", self.gamma, 0.0, open_low=False)
        self.clip = number("train.clip", self.clip, 0.0, open_low=False)
        self.instance_noise = number("train.instance_noise", self.instance_noise, 0.0, 1e6, open_low=False)
        choice("train.generator", self.generator, GENERATOR_MODES)
        choice("train.optimizer", self.optimizer, OPTIMIZERS)
        self.lr_g = number("train.lr_g", self.lr_g, 0.0)
        self.lr_d = number("train.lr_d", self.lr_d, 0.0)
        if not isinstance(self.betas, list | tuple) or len(self.betas) != 2:
            raise ToyganError(f"train.betas = {self.betas!r}: must be two numbers in [0, 1)")
        self.betas = [number("train.betas", b, 0.0, 1.0, open_low=False, open_high=True)
                      for b in self.betas]
        self.momentum = number("train.momentum", self.momentum, 0.0, 1.0, open_low=False,
                               open_high=True)
        integer("train.seed", self.seed, 0, 2**63 - 1)
        integer("train.members", self.members, 1, 1024)
        integer("train.threads", self.threads, 1, 256)
        choice("train.device", self.device, DEVICES)
        # combinations that do not fit, refused with the reason
        penalised = REGULARIZERS[self.regularizer] is not None
        if penalised and self.gamma == 0:
            raise ToyganError(f"train.gamma = 0: train.regularizer = {self.regularizer!r} needs a "
                              "weight > 0")
        if not penalised and self.gamma > 0:
            penalties = ", ".join(name for name, r in REGULARIZERS.items() if r is not None)
            raise ToyganError(f"train.gamma = {self.gamma:g}: weighs nothing, since train.regularizer "
                              f"= {self.regularizer!r}; name one of {penalties}")
        if self.clip > 0 and not OBJECTIVES[self.loss].weight_clipping:
            raise ToyganError(f"train.clip = {self.clip:g}: weight clipping keeps a Wasserstein "
                              f"critic Lipschitz; it does not fit train.loss = {self.loss!r}")
        integer("train.unroll", self.unroll, 0, 50)
        integer("train.pack", self.pack, 1, 16)
        self.consensus = number("train.consensus", self.consensus, 0.0, open_low=False)
        self.sga_lambda = number("train.sga_lambda", self.sga_lambda, 0.0, 100.0)
        integer("train.lookahead_k", self.lookahead_k, 0, 10_000)
        self.lookahead_alpha = number("train.lookahead_alpha", self.lookahead_alpha, 0.0, 1.0)
        together = METHODS[self.updates].together
        if self.consensus > 0 and self.updates not in CONSENSUS_METHODS:
            raise ToyganError(f"train.consensus = {self.consensus:g}: consensus optimisation adds "
                              "γ∇½‖ξ‖² to the field both players follow from one point; it needs "
                              "train.updates = " + " or ".join(f'"{m}"' for m in CONSENSUS_METHODS))
        if self.unroll and together:
            raise ToyganError(f"train.unroll = {self.unroll}: unrolling looks ahead along D's own "
                              f"updates; it needs train.updates = {_updates(False)}")
        if self.unroll and self.optimizer not in UNROLLED_STEPS:
            raise ToyganError(f"train.unroll = {self.unroll}: unrolled steps follow adam or sgd, "
                              "not rmsprop")
        if together and self.d_steps != 1:
            raise ToyganError(f"train.d_steps = {self.d_steps}: k discriminator steps per generator "
                              f"step is an alternating scheme; for train.updates = {self.updates!r} set "
                              f"train.d_steps = 1, or use train.updates = {_updates(False)}")


def _updates(together: bool) -> str:
    """The methods that do (or do not) move both players from one point, quoted for a message."""
    return " or ".join(f'"{name}"' for name, s in METHODS.items() if s.together == together)



def early_steps(every: int) -> tuple[int, ...]:
    """The steps 1, 2, 3, 5, 7, 10, 20, 30, 50, 70, 100, ... below ``every``: about five a decade."""
    steps, decade = [], 1
    while decade < every:
        steps += [m * decade for m in (1, 2, 3, 5, 7) if m * decade < every]
        decade *= 10
    return tuple(steps)


RECORD_SCHEDULES: dict[str, Callable[[int], tuple[int, ...]]] = {
    "even": lambda every: (),
    "log": early_steps,
}
"""``record.schedule`` → the steps recorded besides every ``record.every``-th (given ``every``)."""


@dataclass
class RecordConfig:
    """What training records for the animation."""

    every: int = 30
    """Record a snapshot every this many generator steps (and at step 0 and the last step)."""
    n_samples: int = 512
    """Generator samples per snapshot, from one fixed batch of noise so that points move smoothly."""
    metrics: list[str] = field(default_factory=list)
    """Your own metrics, ``"package.module:function"`` each: a function of a member's generator
    samples ``(n, d)`` (NumPy) and the target, returning a number, recorded at every snapshot under
    the function's name and measured again by the final evaluation."""
    eval_samples: int = 2500
    """Generator samples per member of the evaluation at the end of a completed run (modes, quality,
    reverse KL, JSD: ``toygan.evaluation``; 2,500 as in VEEGAN and PacGAN); 0: none."""
    grid_size: int = 96
    """D is evaluated on a grid_size × grid_size grid over the window."""
    window: list[float] = field(default_factory=list)
    """Plot window ``[xmin, xmax, ymin, ymax]`` within ±10⁶, each side at least 10⁻⁴; empty: fitted
    to the target's modes."""
    kde_bandwidth: float = 0.0
    """Bandwidth of the KDE that stands in for p_g when G is a network (for D* and |D − D*|);
    0: Scott's rule, which over-smooths narrow modes."""
    schedule: str = "even"
    """``even``: every ``every`` steps; ``log``: also steps 1, 2, 3, 5, 7, 10, 20, ... below
    ``every``, so that the first steps, where D tilts and G starts to move, have snapshots."""
    eigenvalues: bool = False
    """Record at each snapshot the eigenvalues of the Jacobian of the joint field of both players'
    parameters, on the fixed batches (``toygan.jacobian``): all of them up to 1,500 parameters a
    member, else the ``eigen_k`` largest in modulus."""
    eigen_k: int = 20
    """How many eigenvalues (the largest in modulus) are recorded for a game with more than 1,500
    parameters a member."""

    def __post_init__(self) -> None:
        _plain_fields(self)
        integer("record.every", self.every, 1, 10**9)
        choice("record.schedule", self.schedule, RECORD_SCHEDULES)
        if not isinstance(self.eigenvalues, bool):
            raise ToyganError(f"record.eigenvalues = {shown(self.eigenvalues)}: must be true or false")
        integer("record.eigen_k", self.eigen_k, 1, 1000)
        integer("record.n_samples", self.n_samples, 2, 100_000)  # a density estimate needs two
        if not isinstance(self.metrics, list | tuple):
            raise ToyganError(f"record.metrics = {shown(self.metrics)}: must be a list of "
                              "\"package.module:function\" names")
        for name in self.metrics:
            check_factory_name("record.metrics", name, METRIC)
        names = [metric_name(m) for m in self.metrics]
        taken = [n for n in names if n in TAKEN or names.count(n) > 1]
        if taken:
            raise ToyganError(f"record.metrics: the name {taken[0]!r} is taken (toygan's metrics, a "
                              "sweep's columns, or another of yours); name your function otherwise")
        self.metrics = list(self.metrics)
        if 0 < integer("record.eval_samples", self.eval_samples, 0, MAX_EVAL_SAMPLES) < 100:
            raise ToyganError(f"record.eval_samples = {self.eval_samples}: must be 0 (no final "
                              "evaluation) or from 100 to 10000 (the protocol's is 2500)")
        integer("record.grid_size", self.grid_size, 2, 1024)
        if not isinstance(self.window, list | tuple):  # an empty table or string is no window
            raise ToyganError(f"record.window = {self.window!r}: must be [xmin, xmax, ymin, ymax] "
                              "or [] (fitted to the target)")
        if self.window:
            if len(self.window) != 4:
                raise ToyganError(f"record.window = {self.window!r}: must be [xmin, xmax, ymin, ymax]")
            # float32 grids and the plots need a window that is neither a point nor astronomically wide
            w = [number("record.window", v, -WINDOW_REACH, WINDOW_REACH, open_low=False) for v in self.window]
            if not (w[0] < w[1] and w[2] < w[3]):
                raise ToyganError(f"record.window = {self.window!r}: needs xmin < xmax and ymin < ymax")
            if min(w[1] - w[0], w[3] - w[2]) < MIN_WINDOW_SIDE:
                raise ToyganError(f"record.window = {self.window!r}: each side must be at least "
                                  f"{MIN_WINDOW_SIDE:g} long")
            self.window = w
        else:
            self.window = []
        self.kde_bandwidth = number("record.kde_bandwidth", self.kde_bandwidth, 0.0, 1e6, open_low=False)
        if 0 < self.kde_bandwidth < SMALLEST_BANDWIDTH:  # its squared inverse would overflow
            raise ToyganError(f"record.kde_bandwidth = {shown(self.kde_bandwidth)}: 0 (Scott's rule) or a "
                              f"number from {SMALLEST_BANDWIDTH:g} to 1e+06")


def _plain_fields(section: Any) -> None:
    """NumPy values (``np.int64(2)``, arrays) in a section made Python's: checked, shown and saved
    as what they are."""
    for f in dataclasses.fields(section):
        setattr(section, f.name, plain(getattr(section, f.name)))


_SECTIONS = {"data": DataConfig, "fake": FakeConfig, "model": ModelConfig, "train": TrainConfig,
             "record": RecordConfig}


def _section(name: str, cls: type, values: Any) -> Any:
    if not isinstance(values, dict):
        raise ToyganError(f"[{name}] = {shown(values)}: must be a table")
    allowed = [f.name for f in dataclasses.fields(cls)]
    for key in values:
        if key not in allowed:
            raise ToyganError(f"{name}.{key}: unknown key; allowed in [{name}]: {', '.join(allowed)}")
    return cls(**values)


@dataclass
class Config:
    """A whole run: ``data``, ``fake``, ``model``, ``train`` and ``record`` sections."""

    data: DataConfig = field(default_factory=DataConfig)
    fake: FakeConfig = field(default_factory=FakeConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    record: RecordConfig = field(default_factory=RecordConfig)

    def __post_init__(self) -> None:
        if self.record.n_samples < self.train.pack:
            raise ToyganError(f"record.n_samples = {self.record.n_samples}: fewer than train.pack = "
                              f"{self.train.pack}; D judges packs of {self.train.pack} samples, so the "
                              "recorded samples must make at least one pack")
        network = self.train.generator_mode.network
        if not network and not self.fake.name:
            raise ToyganError(f"train.generator = {self.train.generator!r}: needs a [fake] section "
                              'naming the target of the fake samples, e.g. fake.name = "ring"')
        if network and self.fake.name:
            raise ToyganError(f"fake.name = {self.fake.name!r}: only used with "
                              f'train.generator = "target" (it is {self.train.generator!r})')
        if self.recording_bytes() > MAX_RECORDING_BYTES:
            raise ToyganError(
                f"record.every = {self.record.every} with train.steps = {self.train.steps}: the history "
                f"would take {self.recording_bytes() / 2**30:.1f} GiB (limit "
                f"{MAX_RECORDING_BYTES / 2**30:.0f} GiB); record less often (raise record.every) or "
                "record less (lower record.grid_size, record.n_samples or train.members)")

    def target(self):
        """The data distribution this config trains on (``data.name`` with ``data.params``), a
        ``toygan.data`` target with ``sample(n, rng)``, ``log_prob(x)``, ``bounds()``."""
        return make_target(self.data.name, self.data.params)

    def fake_target(self):
        """The fixed p_g of ``train.generator = "target"`` (the ``[fake]`` section), or None."""
        return make_target(self.fake.name, self.fake.params) if self.fake.name else None

    def snapshot_due(self, step: int) -> bool:
        """Whether a run records a snapshot after ``step``: every ``record.every`` steps, the
        early steps of ``record.schedule`` and the last."""
        r = self.record
        return (step % r.every == 0 or step == self.train.steps
                or (step < r.every and step in RECORD_SCHEDULES[r.schedule](r.every)))

    def snapshot_bytes(self) -> int:
        """Bytes one snapshot takes in memory and on disk: float32 samples and their push, the D
        grid, the push field, the generator manifold (2 × 11 latent lines of 41 points; one line
        for a 1D latent), the scalars and the mode counts (``toygan.history`` has the format)."""
        e, r = self.train.members, self.record
        target = make_target(self.data.name, self.data.params)
        d = target.dim
        k = 0 if target.modes is None else len(target.modes)  # mode counts
        lines = MANIFOLD_POINTS if self.model.noise_dim == 1 else 2 * MANIFOLD_LINES * MANIFOLD_POINTS
        manifold = lines if self.train.generator_mode.network else 0
        floats = (2 * r.n_samples * d + r.grid_size**d + FIELD_SIZE**d * d + manifold * d
                  + len(SCALARS) + k)
        return 4 * e * floats + 8

    def snapshot_count(self) -> int:
        """Snapshots a whole run records (at most): step 0, every ``record.every`` steps, the
        early steps of ``record.schedule`` and the last."""
        early = sum(s < self.train.steps for s in RECORD_SCHEDULES[self.record.schedule](self.record.every))
        return self.train.steps // self.record.every + 2 + early

    def recording_bytes(self) -> int:
        """Bytes of the whole recorded history (``snapshot_count`` snapshots; the eigenvalues,
        whose number depends on the networks, are counted by ``toygan.resources``)."""
        return self.snapshot_count() * self.snapshot_bytes()

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        """Build from nested dicts (as TOML gives); missing keys take their defaults.

        Raises:
            ToyganError: for an unknown section or key, or a bad value.
        """
        if not isinstance(values, dict):
            raise ToyganError(f"config = {values!r}: must be a table")
        for key in values:
            if key not in _SECTIONS:
                raise ToyganError(f"{key}: unknown section; allowed: {', '.join(_SECTIONS)}")
        return cls(**{name: _section(name, c, values.get(name, {})) for name, c in _SECTIONS.items()})

    @classmethod
    def from_toml(cls, text: str, source: str = "<string>") -> Config:
        """Parse TOML text; ``source`` names the file in error messages. A ``[recipe]`` table (an
        animation recipe's description, ``toygan.recipes``) is skipped."""
        try:
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ToyganError(f"{source}: not valid TOML: {err}") from None
        except RecursionError:  # tomllib parses nested arrays recursively
            raise ToyganError(f"{source}: arrays or tables nested too deeply to read") from None
        values.pop("recipe", None)
        return cls.from_dict(values)

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """Read a TOML config file."""
        path = path_arg(path)
        text = read_text(path, "config file")
        return cls.from_toml(text, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path) -> None:
        """Write the resolved config as TOML, atomically."""
        with atomic_path(path_arg(path)) as tmp:
            Path(tmp).write_text(self.to_toml(), encoding="utf-8")

    def changes(self, new: Config, keys: Iterable[str]) -> dict[str, tuple[Any, Any]]:
        """Dotted key → (value here, value in ``new``), for the ``keys`` whose values differ."""
        old, changed = self.to_dict(), {}
        for key in keys:
            section, _, name = key.partition(".")
            before, after = old[section][name], getattr(getattr(new, section), name)
            if before != after:
                changed[key] = (before, after)
        return changed

    def replace(self, **overrides: Any) -> Config:
        """A copy with dotted overrides, e.g. ``replace(**{"train.steps": 100})``; validated."""
        values = self.to_dict()
        for dotted, value in overrides.items():
            section, _, key = dotted.partition(".")
            if section not in values or not key:
                raise ToyganError(f"{dotted}: not a config field (use section.key)")
            values[section][key] = value
        return Config.from_dict(values)


MUTABLE = frozenset({
    "train.steps", "train.d_steps", "train.batch_size", "train.loss", "train.updates",
    "train.regularizer", "train.gamma", "train.clip", "train.instance_noise", "train.consensus",
    "train.unroll", "train.sga_lambda", "train.lookahead_k", "train.lookahead_alpha",
    "train.optimizer", "train.lr_g", "train.lr_d", "train.betas", "train.momentum",
    "train.generator", "record.every", "record.kde_bandwidth", "record.eval_samples",
})
"""Settings ``Game.update`` may change mid-run. The rest fix shapes (networks, members, packing,
target, recording grids) or the random streams (seed), or where tensors live (device, threads)."""
NEW_OPTIMIZER = ("train.optimizer", "train.betas", "train.momentum")


FIXED_BECAUSE = {
    "model": "the networks' shapes are fixed when the game starts",
    "data": "the target fixes the recording (its modes, its fixed real batch)",
    "fake": "the fixed p_g is part of the recording",
    "record": "the recorded arrays' shapes are fixed when the game starts",
    "train.members": "the number of members is fixed when the game starts",
    "train.pack": "packing changes the discriminator's input size",
    "train.seed": "the random streams were seeded when the game started",
    "train.device": "where the game computes is fixed when it starts",
    "train.threads": "where the game computes is fixed when it starts",
}
"""Why a setting cannot change mid-run, by dotted key or by section."""


def check_mutable(key: Any) -> None:
    """Refuse, with the reason, a key ``Game.update`` cannot change mid-run."""
    if not isinstance(key, str):
        raise ToyganError(f"update: key {key!r} is not a dotted config field")
    if key in MUTABLE:
        return
    why = FIXED_BECAUSE.get(key, FIXED_BECAUSE.get(key.partition(".")[0]))
    if why is None:
        raise ToyganError(f"{key}: not a config field that can change mid-run; these can: "
                          f"{', '.join(sorted(MUTABLE))}")
    raise ToyganError(f"{key}: cannot change mid-run ({why}); start a new Game with it instead")
