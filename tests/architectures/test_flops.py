"""`estimate_flops` counts convolutions and dense layers, wrapped heads included."""

import keras

from kerasreg.architectures import Regularization, build_model, estimate_flops
from kerasreg.layers import ConcreteDropout, DropConnectConv2D, MultiSampleDropout


def test_counts_by_hand():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)  # 4x4 positions x 3*3*3*4
    x = DropConnectConv2D(2, 1, rate=0.5)(x)  # 4x4 x 4*2
    x = keras.layers.Flatten()(x)
    x = ConcreteDropout(keras.layers.Dense(5))(x)  # 32 x 5
    outputs = MultiSampleDropout(keras.layers.Dense(3), num_samples=4)(x)  # 5 x 3
    assert estimate_flops(keras.Model(inputs, outputs)) == 16 * 108 + 16 * 8 + 160 + 15


def test_dense_on_a_map_counts_every_position():
    inputs = keras.Input((4, 4, 3))
    assert estimate_flops(keras.Model(inputs, keras.layers.Dense(2)(inputs))) == 16 * 6


def test_resnet_20_matches_the_paper():
    # He et al. 2016 give about 41 million FLOPs (multiply-adds) for ResNet-20.
    model = build_model("resnet", input_shape=(32, 32, 3), num_classes=10, regularization=Regularization())
    assert round(estimate_flops(model) / 1e6) == 41


def test_head_variants_cost_the_same_at_inference():
    flops = {
        dropout: estimate_flops(
            build_model("cnn", input_shape=(32, 32, 3), num_classes=10, regularization=Regularization(dropout=dropout), width=4, depth=2)
        )
        for dropout in ("none", "multisample", "concrete", "dropconnect")
    }
    assert len(set(flops.values())) == 1, flops
