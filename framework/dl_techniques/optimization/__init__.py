"""Training configuration builders: learning-rate schedules, optimizers, deep supervision."""

from dl_techniques.optimization.deep_supervision import (
    DEEP_SUPERVISION_TYPES,
    deep_supervision_schedule_builder,
)
from dl_techniques.optimization.optimizer import OPTIMIZER_TYPES, optimizer_builder
from dl_techniques.optimization.schedules import (
    SCHEDULE_TYPES,
    WarmupSchedule,
    learning_rate_schedule_builder,
)

__all__ = [
    "DEEP_SUPERVISION_TYPES",
    "OPTIMIZER_TYPES",
    "SCHEDULE_TYPES",
    "WarmupSchedule",
    "deep_supervision_schedule_builder",
    "learning_rate_schedule_builder",
    "optimizer_builder",
]
