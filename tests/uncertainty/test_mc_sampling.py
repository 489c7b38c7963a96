"""`mc_predict`: batched and looped MC sampling, its summaries, argument checks."""

import keras
import numpy as np
import pytest

from kerasreg import layers
from kerasreg.layers import DropConnectDense, StochasticLayer
from kerasreg.uncertainty import mc_predict


@pytest.fixture
def pass_rows(monkeypatch):
    """The number of rows of every forward pass `mc_predict` runs (its predict batches)."""
    rows = []
    original = keras.Model.predict

    def recording(self, x, batch_size=None, **kwargs):
        count = len(keras.tree.flatten(x)[0])
        if batch_size is not None:  # mc_predict's calls (the tests' own use the default)
            rows.extend([batch_size] * (count // batch_size) + [count % batch_size] * (count % batch_size > 0))
        return original(self, x, batch_size=batch_size, **kwargs)

    monkeypatch.setattr(keras.Model, "predict", recording)
    return rows


def _inputs(n, features=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, features)).astype("float32")


def _classifier(rate=0.5, activation="softmax", **dropout_kwargs):
    return keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dropout(rate, seed=0, **dropout_kwargs),
        keras.layers.Dense(3, activation=activation),
    ])


def _per_example_spread(samples):
    """For each example, the largest difference between two of its samples."""
    return np.ptp(samples, axis=0).max(axis=-1)


def test_dropout_samples_differ_and_are_stacked(pass_rows):
    model = _classifier()
    x = _inputs(5)
    result = mc_predict(model, x, num_samples=10, return_samples=True)
    assert pass_rows == [50]  # 10 copies of 5 examples in one pass
    samples = result["samples"]
    assert samples.shape == (10, 5, 3) and result["mean"].shape == (5, 3)
    assert (_per_example_spread(samples) > 1e-3).all()  # every copy has its own mask
    np.testing.assert_allclose(samples.sum(axis=-1), 1.0, rtol=1e-5)
    # Seeded layers: a second call samples the same (a fresh copy each call).
    np.testing.assert_array_equal(mc_predict(model, x, num_samples=10, return_samples=True)["samples"], samples)
    # The model itself is untouched and deterministic.
    assert type(model.layers[0]) is keras.layers.Dropout
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("rate", [None, 0.0], ids=["no-dropout", "rate-0"])
def test_deterministic_model_gives_identical_samples(rate):
    if rate is None:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    else:
        model = _classifier(rate=rate)
    x = _inputs(7)
    expected = model.predict(x, verbose=0)
    result = mc_predict(model, x, num_samples=6, batch_size=16, return_samples=True)
    for sample in result["samples"]:
        np.testing.assert_allclose(sample, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result["mean"], expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result["mutual_information"], 0.0, atol=1e-6)
    np.testing.assert_allclose(
        result["entropy"], -(expected * np.log(expected)).sum(axis=-1), rtol=1e-5
    )


def _linear_probability_model(noise):
    """Outputs ``[0.5 + z, 0.5 - z]`` with ``z`` linear in the dropped inputs or weights.

    Dropout on the inputs or DropConnect on the weights of ``z`` leaves its
    expectation equal to the noise-free ``z`` (inverted scaling), so the
    exact predictive mean is ``model.predict``. With weights of at most 0.02
    and inputs in [0, 1], ``|z| <= 8 * 0.02 * 2 < 0.5``: valid probabilities.
    """
    inputs = keras.Input((8,))
    if noise == "dropout":
        linear = keras.layers.Dense(1, use_bias=False)
        z = linear(keras.layers.Dropout(0.5, seed=1)(inputs))
    else:
        linear = DropConnectDense(1, rate=0.5, use_bias=False, seed=1)
        z = linear(inputs)
    head = keras.layers.Dense(2)
    model = keras.Model(inputs, head(z))
    weights = np.random.default_rng(2).uniform(-0.02, 0.02, size=(8, 1))
    linear.set_weights([weights])
    head.set_weights([np.array([[1.0, -1.0]]), np.array([0.5, 0.5])])
    return model, weights[:, 0]


@pytest.mark.parametrize("noise, stacked", [("dropout", True), ("drop_connect", False)])
def test_mean_and_spread_match_the_exact_distribution(noise, stacked, pass_rows):
    model, weights = _linear_probability_model(noise)
    x = np.random.default_rng(3).uniform(size=(6, 8)).astype("float32")
    num_samples = 400
    result = mc_predict(model, x, num_samples=num_samples, batch_size=64, return_samples=True)

    if stacked:  # 2400 rows in passes of 64, the last one padded from 32
        assert pass_rows == [64] * 38
    else:  # one pass of the 6 examples per sample
        assert pass_rows == [6] * num_samples
    # Mean: exact value; standard error <= 0.057 / sqrt(400) ~ 0.003.
    np.testing.assert_allclose(result["mean"], model.predict(x, verbose=0), atol=0.015)
    # Spread: z sums independent terms w_j x_j m_j / (1 - rate), m_j ~
    # Bernoulli(0.5), so Var z = sum_j (w_j x_j)^2 * rate / (1 - rate).
    exact_std = np.sqrt(((weights * x) ** 2).sum(axis=1))
    sample_std = result["samples"][:, :, 0].std(axis=0)
    np.testing.assert_allclose(sample_std, exact_std, rtol=0.15)


def test_batched_sampling_matches_looped_sampling():
    model, _ = _linear_probability_model("dropout")
    x = np.random.default_rng(4).uniform(size=(5, 8)).astype("float32")
    batched = mc_predict(model, x, num_samples=400, batch_size=128, return_samples=True)["samples"]
    mc_model = layers.enable_mc(model)
    looped = np.stack([mc_model.predict_on_batch(x) for _ in range(400)])
    np.testing.assert_allclose(batched.mean(axis=0), looped.mean(axis=0), atol=0.015)
    np.testing.assert_allclose(batched.std(axis=0), looped.std(axis=0), rtol=0.2)


@keras.saving.register_keras_serializable(package="kerasreg_tests")
class _TraceCounter(keras.layers.Layer):
    """Identity that counts its Python calls: under tf.function or jit, one per trace."""

    calls = 0

    def call(self, inputs):
        type(self).calls += 1
        return inputs


def test_repeated_calls_reuse_one_compiled_copy_with_the_current_weights(pass_rows):
    model = keras.Sequential([
        keras.Input((4,)),
        _TraceCounter(),
        keras.layers.Dropout(0.5, seed=0),
        keras.layers.Dense(3, activation="softmax"),
    ])
    x = _inputs(13)
    first = mc_predict(model, x[:10], num_samples=7, batch_size=16, return_samples=True)["samples"]
    assert pass_rows == [16] * 5  # 70 rows: the short last pass is padded to the same shape
    traces = _TraceCounter.calls
    # Other N and S (65 rows, a last pass of 1 row): no new trace, no new copy.
    mc_predict(model, x, num_samples=5, batch_size=16)
    assert _TraceCounter.calls == traces
    # Seeded generators restart: the same samples again.
    again = mc_predict(model, x[:10], num_samples=7, batch_size=16, return_samples=True)["samples"]
    np.testing.assert_array_equal(again, first)
    assert _TraceCounter.calls == traces
    # New weights reach the copy: a zero kernel leaves softmax(bias) for every sample.
    kernel, bias = model.layers[-1].get_weights()
    model.layers[-1].set_weights([np.zeros_like(kernel), np.array([1.0, 2.0, 3.0], "float32")])
    expected = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    result = mc_predict(model, x, num_samples=5, batch_size=16, return_samples=True)
    np.testing.assert_allclose(result["samples"], np.broadcast_to(expected, (5, 13, 3)), rtol=1e-5)
    # A changed config builds a new copy: rate 0 samples no noise.
    model.layers[-1].set_weights([kernel, bias])
    model.layers[1].rate = 0.0
    samples = mc_predict(model, x, num_samples=5, batch_size=16, return_samples=True)["samples"]
    np.testing.assert_allclose(samples, np.broadcast_to(model.predict(x, verbose=0), samples.shape), rtol=1e-5)


def _drop_connect_model():
    return keras.Sequential([
        keras.Input((4,)),
        DropConnectDense(3, rate=0.5, seed=0, activation="softmax"),
    ])


def _batch_mask_dropout_model():
    # noise_shape (1, 4): one mask broadcast over the batch.
    return _classifier(noise_shape=(1, 4))


def _nested_drop_connect_model():
    inputs = keras.Input((4,))
    outputs = _drop_connect_model()(keras.layers.Dense(4)(inputs))
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize(
    "build", [_drop_connect_model, _batch_mask_dropout_model, _nested_drop_connect_model]
)
def test_batch_shared_noise_is_sampled_one_pass_per_sample(build, pass_rows, capsys):
    result = mc_predict(build(), _inputs(5), num_samples=8, return_samples=True, progress=True)
    assert pass_rows == [5] * 8
    assert "8/8" in capsys.readouterr().out  # the progress bar counts the passes that ran
    assert (_per_example_spread(result["samples"]) > 1e-3).all()


def test_only_drop_connect_shares_noise_across_the_batch():
    shared = {
        name
        for name in layers.__all__
        if isinstance(getattr(layers, name), type)
        and issubclass(getattr(layers, name), StochasticLayer)
        and not getattr(layers, name).noise_per_example
    }
    assert shared == {"DropConnectDense", "DropConnectConv2D"}


def test_entropy_and_mutual_information_follow_the_samples():
    result = mc_predict(_classifier(), _inputs(6), num_samples=25, batch_size=32, return_samples=True)
    samples = result["samples"]
    mean = samples.mean(axis=0)
    total = -(mean * np.log(mean)).sum(axis=-1)
    expected = -(samples * np.log(samples)).sum(axis=-1).mean(axis=0)
    np.testing.assert_allclose(result["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(result["entropy"], total, rtol=1e-10)
    np.testing.assert_allclose(result["mutual_information"], total - expected, atol=1e-12)
    assert (result["mutual_information"] >= 0).all()
    assert (result["mutual_information"] > 0).any()
    assert set(mc_predict(_classifier(), _inputs(2), num_samples=2)) == {
        "mean",
        "entropy",
        "mutual_information",
    }


def test_from_logits_matches_a_softmax_head():
    logits_model = _classifier(activation=None)
    softmax_model = _classifier()
    softmax_model.set_weights(logits_model.get_weights())
    x = _inputs(4)
    from_logits = mc_predict(logits_model, x, num_samples=12, from_logits=True, return_samples=True)
    from_softmax = mc_predict(softmax_model, x, num_samples=12, return_samples=True)
    for key in ("samples", "mean", "entropy", "mutual_information"):
        np.testing.assert_allclose(from_logits[key], from_softmax[key], rtol=1e-5, atol=1e-6)


def test_multi_input_model(pass_rows):
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    features = keras.layers.Dropout(0.5, seed=0)(keras.layers.Concatenate()([a, b]))
    model = keras.Model({"a": a, "b": b}, keras.layers.Dense(3, activation="softmax")(features))
    x = {"a": _inputs(3, features=2), "b": _inputs(3, features=3)}
    result = mc_predict(model, x, num_samples=4, batch_size=5, return_samples=True)
    assert pass_rows == [5, 5, 5]  # 12 rows; the last pass padded from 2
    assert result["samples"].shape == (4, 3, 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_samples": 0}, "num_samples=0"),
        ({"num_samples": 2.5}, "num_samples=2.5"),
        ({"num_samples": True}, "num_samples=True"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"batch_size": "8"}, "batch_size='8'"),
        ({"from_logits": "yes"}, "from_logits='yes'"),
        ({"return_samples": 1}, "return_samples=1"),
        ({"progress": "yes"}, "progress='yes'"),
        ({"model": "model"}, "model='model'"),
        ({"x": np.zeros((0, 4))}, "x with shapes [(0, 4)]"),
        ({"x": [np.ones((2, 4)), np.ones((3, 4))]}, "x with shapes [(2, 4), (3, 4)]"),
        ({"x": 3.0}, "x with shapes [()]"),
    ],
)
def test_invalid_arguments(kwargs, message):
    arguments = {"model": _classifier(), "x": _inputs(2), "num_samples": 2}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match="Invalid value received for argument") as info:
        mc_predict(**arguments)
    assert message in str(info.value)


def test_outputs_that_are_not_probabilities():
    with pytest.raises(ValueError, match="from_logits=True"):
        mc_predict(_classifier(activation=None), _inputs(3), num_samples=2)
    binary = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match=r"shape \(batch, classes\).*\(2, 1\)"):
        mc_predict(binary, _inputs(2), num_samples=1)
