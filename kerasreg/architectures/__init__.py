"""kerasreg.architectures: the model registry of the recipe engine.

`build_model(name, ...)` builds a registered model (``airbench``, ``cnn``,
``fast``, ``resnet``) with the options of a `Regularization` (the experiment config's
``regularization`` section) applied the same way in every builder through
`RegularizedLayers`. Models return logits. `estimate_flops` counts their
multiply-adds; `whiten_stem` makes a stem a frozen patch-whitening layer;
`identity_initialize` starts every conv near the identity (airbench).
"""

from kerasreg.architectures.airbench import build_airbench
from kerasreg.architectures.cnn import build_cnn
from kerasreg.architectures.fast import build_fast
from kerasreg.architectures.flops import estimate_flops
from kerasreg.architectures.identity_init import identity_initialize, partial_identity_kernel
from kerasreg.architectures.registry import ACTIVATIONS, MODELS, build_model, model_names, register_model
from kerasreg.architectures.regularization import (
    BN_POSITIONS,
    DROPOUTS,
    PLACEMENTS,
    Regularization,
    RegularizedLayers,
)
from kerasreg.architectures.resnet import IdentityShortcut, build_resnet
from kerasreg.architectures.whitening import patch_whitening, whiten_stem

__all__ = [
    "BN_POSITIONS",
    "ACTIVATIONS",
    "DROPOUTS",
    "IdentityShortcut",
    "MODELS",
    "PLACEMENTS",
    "Regularization",
    "RegularizedLayers",
    "build_airbench",
    "build_cnn",
    "build_fast",
    "build_model",
    "build_resnet",
    "estimate_flops",
    "identity_initialize",
    "model_names",
    "partial_identity_kernel",
    "patch_whitening",
    "register_model",
    "whiten_stem",
]
