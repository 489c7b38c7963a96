"""kerasreg.layers: the stochastic-layer family, Ghost batch norm and temperature scaling.

Every stochastic layer derives from `StochasticLayer` and follows one
convention: ``call(inputs, training=False)``; random in training, and at
inference too when constructed with ``mc=True`` (or switched on for a whole
model by `enable_mc`, off by `disable_mc`); inverted scaling 1/(1-rate) (Standout excepted, see
`AdaptiveDropout`); ``rate=0`` is an exact identity.
"""

from kerasreg.layers.adaptive_dropout import AdaptiveDropout
from kerasreg.layers.concrete_dropout import ConcreteDropout
from kerasreg.layers.drop_block import DropBlock2D
from kerasreg.layers.drop_connect import DropConnectConv2D, DropConnectDense
from kerasreg.layers.ghost_batch_norm import GhostBatchNormalization
from kerasreg.layers.mc_dropout import MCDropout
from kerasreg.layers.mc_mode import disable_mc, enable_mc, sampling_off
from kerasreg.layers.multi_sample_dropout import MultiSampleDropout
from kerasreg.layers.scheduled_dropout import ScheduledDropout
from kerasreg.layers.stochastic_depth import StochasticDepth, drop_path_rates
from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.layers.temperature_scaling import TemperatureScaling

__all__ = [
    "AdaptiveDropout",
    "ConcreteDropout",
    "DropBlock2D",
    "DropConnectConv2D",
    "DropConnectDense",
    "GhostBatchNormalization",
    "MCDropout",
    "MultiSampleDropout",
    "ScheduledDropout",
    "StochasticDepth",
    "StochasticLayer",
    "TemperatureScaling",
    "disable_mc",
    "drop_path_rates",
    "enable_mc",
    "sampling_off",
]
