"""A built model with kerasreg layers survives `.keras` saving and predicts identically.

(The layers' fresh-process round trip is tests/layers/test_saving.py; here the
builders' models, `IdentityShortcut` and the MultiSampleModel class.)
"""

import keras
import numpy as np
import pytest

from kerasreg.architectures import Regularization, build_model
from tests.architectures.harness import NUM_CLASSES, RGB, SMALL, fit_one_step, images

CASES = {
    "cnn-dropblock-ghost": ("cnn", {"dropout": "dropblock", "dropout_placement": "blocks", "dropout_rate": 0.1, "ghost_batch_size": 2}),
    "cnn-multisample-l2": ("cnn", {"dropout": "multisample", "multisample_count": 2, "weight_decay_mode": "l2"}),
    "cnn-concrete": ("cnn", {"dropout": "concrete", "dropout_rate": 0.2}),
    "cnn-adaptive-after-activation": ("cnn", {"dropout": "adaptive", "dropout_placement": "both", "bn_position": "after_activation"}),
    "resnet-dropconnect-stochastic-depth": ("resnet", {"dropout": "dropconnect", "dropout_placement": "both", "dropout_rate": 0.2, "stochastic_depth": 0.2}),
    "fast-scheduled": ("fast", {"dropout": "scheduled", "dropout_placement": "both", "scheduled_warmup_steps": 10}),
}


def _trained(name, fields, shape=RGB):
    model = build_model(name, input_shape=shape, num_classes=NUM_CLASSES, regularization=Regularization(**fields), seed=1, **SMALL[name])
    fit_one_step(model, shape)
    return model


@pytest.mark.parametrize("case", sorted(CASES))
def test_reloads_and_predicts_identically(case, tmp_path):
    name, fields = CASES[case]
    model = _trained(name, fields)
    path = tmp_path / f"{case}.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model)
    assert [type(layer) for layer in restored.layers] == [type(layer) for layer in model.layers]
    assert len(restored.weights) == len(model.weights)
    for saved, loaded in zip(model.weights, restored.weights):  # scheduled steps, moving stats, ...
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy())
    x = images()
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))

