"""pydl.optim: optimizers with torch.optim's names, options, update rules and state_dict format.

Each ``step()`` updates every parameter of a param group in one compiled call
(``pydl._C._optim``), with the GIL released; on the CPU each parameter's whole update is one
fused pass over its elements.
"""
from .optimizer import Optimizer, required, register_optimizer_step_pre_hook, register_optimizer_step_post_hook
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .lion import Lion
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
           "Lion", "lr_scheduler", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]
