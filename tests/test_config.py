import pytest

from toygan import Config
from toygan.errors import ToyganError


def test_defaults_are_valid_and_round_trip_through_toml():
    config = Config()
    assert Config.from_toml(config.to_toml()) == config


def test_custom_mixture_round_trips(tmp_path):
    config = Config().replace(**{"data.name": "mixture",
                                 "data.params": {"means": [[0, 0], [1, 1]], "stds": 0.1,
                                                 "weights": [0.3, 0.7]}})
    config.save(tmp_path / "c.toml")
    assert Config.load(tmp_path / "c.toml") == config


def test_missing_keys_take_defaults():
    config = Config.from_toml("[train]\nsteps = 7\n")
    assert config.train.steps == 7 and config.train.batch_size == Config().train.batch_size


@pytest.mark.parametrize(("toml", "needle"), [
    ("[train]\nsteps = -5", "train.steps = -5: must be an integer between 1 and 1000000000"),
    ("[train]\nsteps = 1.5", "train.steps = 1.5"),
    ("[train]\nsteps = true", "train.steps = True"),
    ("[train]\nsteps = 'many'", "train.steps = 'many'"),
    ("[train]\nd_steps = 0", "train.d_steps = 0"),
    ("[train]\nloss = 'wgan'", "train.loss = 'wgan': unknown; choose one of"),
    ("[train]\nregularizer = 'r3'", "train.regularizer = 'r3'"),
    ("[train]\nregularizer = 'r1'", "train.gamma = 0: .*needs a weight > 0"),
    ("[train]\ngamma = 1.0", "train.gamma = 1: weighs nothing"),
    ("[train]\nclip = 0.01", "train.clip = 0.01: weight clipping .* does not fit"),
    ("[train]\nupdates = 'simultaneous'\nd_steps = 5", "train.d_steps = 5: k discriminator steps"),
    ("[train]\nupdates = 'sometimes'", "train.updates = 'sometimes'"),
    ("[train]\npack = 4\n[record]\nn_samples = 2", "record.n_samples = 2: fewer than train.pack = 4"),
    ("[record]\nwindow = [0, 1e-300, 0, 1e-300]", "each side must be at least 0.0001 long"),
    ("[record]\nwindow = [-1e300, 1e300, -1, 1]", "record.window = -1e.300: must be a number ≥ -1e.06"),
    ("[train]\nconsensus = 0.5", 'consensus optimisation .* needs train.updates = "simultaneous"'),
    ("[train]\nupdates = 'simultaneous'\nunroll = 2", 'unrolling .* needs train.updates = "alternating"'),
    ("[train]\ninstance_noise = -0.1", "train.instance_noise = -0.1"),
    ("[train]\noptimizer = 'lbfgs'", "train.optimizer = 'lbfgs'"),
    ("[train]\nlr_d = -0.1", "train.lr_d = -0.1: must be a number > 0"),
    ("[train]\nlr_g = nan", "train.lr_g = nan"),
    ("[train]\nbetas = [0.5]", "train.betas"),
    ("[train]\nbetas = [0.5, 1.0]", "train.betas = 1.0"),
    ("[train]\nmembers = 0", "train.members = 0"),
    ("[train]\nunknown = 1", "train.unknown: unknown key; allowed in \\[train\\]"),
    ("[model]\nactivation = 'swish'", "model.activation = 'swish'"),
    ("[model]\nprior = 'cauchy'", "model.prior = 'cauchy'"),
    ("[model]\ng_width = 0", "model.g_width = 0"),
    ("[record]\nevery = 0", "record.every = 0"),
    ("[record]\nwindow = [1, 0, 0, 1]", "record.window.*xmin < xmax"),
    ("[data]\nname = 'galaxy'", "data.name = 'galaxy': unknown target"),
    ("[data.params]\nstd = 0", "data.params.std = 0: must be a number > 0"),
    ("[data.params]\nsigma = 1", "data.params.sigma: unknown parameter"),
    ("[data]\nname = 'mixture'\n[data.params]\nmeans = [[0, 0], [1, 1]]\nweights = [0.5, 0.6]",
     "weights = \\[0.5, 0.6\\]: must be 2 numbers ≥ 0 that sum to 1"),
    ("[optim]\nlr = 1", "optim: unknown section"),
    ("train = 3", "\\[train\\] = 3: must be a table"),
    ("[train\nsteps = 1", "not valid TOML"),
])
def test_bad_configs_name_the_field_value_and_what_is_allowed(toml, needle):
    with pytest.raises(ToyganError, match=needle):
        Config.from_toml(toml)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ToyganError, match="nope.toml.*does not exist"):
        Config.load(tmp_path / "nope.toml")


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "x.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ToyganError, match="x.toml"):
        Config.load(path)


def test_replace_validates():
    with pytest.raises(ToyganError, match="train.steps = 0"):
        Config().replace(**{"train.steps": 0})
    with pytest.raises(ToyganError, match="not a config field"):
        Config().replace(steps=3)


def test_recording_size_is_bounded_up_front():
    config = Config()
    assert config.snapshot_bytes() == 4 * (4 * 512 + 96 * 96 + 2 * 15**2 + 2 * 902 + 12 + 8) + 8
    with pytest.raises(ToyganError, match="record.every = 30 with train.steps = 2000000.*GiB"):
        config.replace(**{"train.steps": 2_000_000})
    config.replace(**{"train.steps": 2_000_000, "record.every": 1000})  # fine


def test_arrays_nested_too_deeply_for_the_parser_are_one_line(tmp_path):
    from toygan.validate import read_toml

    deep = "[train]\nbetas = " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(ToyganError, match="c.toml: arrays or tables nested too deeply to read"):
        Config.from_toml(deep, source="c.toml")
    (tmp_path / "spec.toml").write_text(deep)
    with pytest.raises(ToyganError, match="sweep spec .*spec.toml' cannot be read: arrays or tables nested"):
        read_toml(tmp_path / "spec.toml", "sweep spec")
