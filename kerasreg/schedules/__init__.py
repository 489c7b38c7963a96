"""kerasreg.schedules: learning-rate schedules Keras lacks, and the factories around them.

Every schedule is a `keras.optimizers.schedules.LearningRateSchedule` written
in `keras.ops` (so it runs inside compiled train steps on every backend),
registered serializable, and composable: `WarmUp`, `Join` and `Scaled` wrap
any schedule, Keras's included. `create_schedule` and `create_optimizer`
build them from small configs; `find_lr` runs Smith's LR range test.
"""

from kerasreg.schedules.constant import Constant
from kerasreg.schedules.cyclical import CyclicalLearningRate
from kerasreg.schedules.factory import create_schedule, schedule_names, with_run_length
from kerasreg.schedules.join import Join
from kerasreg.schedules.lr_finder import LRFinderResult, RangeTestSchedule, find_lr
from kerasreg.schedules.one_cycle import OneCycle
from kerasreg.schedules.optimizers import create_optimizer, l2_regularizer
from kerasreg.schedules.scaled import Scaled
from kerasreg.schedules.warmup import WarmUp

__all__ = [
    "Constant",
    "CyclicalLearningRate",
    "Join",
    "LRFinderResult",
    "OneCycle",
    "RangeTestSchedule",
    "Scaled",
    "WarmUp",
    "create_optimizer",
    "create_schedule",
    "find_lr",
    "l2_regularizer",
    "schedule_names",
    "with_run_length",
]
