"""The scheduler cases tests/test_lr_scheduler.py runs against torch: CASES (each stepped
50 times, like training) and ERROR_CASES (constructors that torch refuses).

A case names a scheduler of torch.optim.lr_scheduler / pydl.optim.lr_scheduler, its
constructor arguments (sub-schedulers of SequentialLR/ChainedScheduler as (name, kwargs)
specs), the optimizer kind and group count, and the arguments of each ``step()`` call.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

N_STEPS = 50


class Make:
    """A constructor argument built afresh for every scheduler (callable objects with state
    must not be shared between the torch and pydl schedulers)."""

    def __init__(self, factory):
        self.factory = factory


class CountingFactor:
    """A callable object with state: state_dict must save its __dict__ (plain functions and
    lambdas are not saved)."""

    def __init__(self, rate):
        self.rate = rate
        self.calls = 0

    def __call__(self, epoch):
        self.calls += 1
        return self.rate ** (self.calls // 2) * (1.0 + 0.1 * (epoch % 3))


def warmup(epoch):
    return min(1.0, (epoch + 1) / 8)


def plateau_metric(i):
    """A loss that drops every 8 steps and improves by less than the threshold in between."""
    return 1.0 / (1 + i // 8) - 1e-6 * (i % 8)


@dataclass
class Case:
    name: str
    kwargs: dict = field(default_factory=dict)
    kind: str = "sgd"
    n_groups: int = 2
    step_args: Optional[Callable] = None  # step index -> positional args of scheduler.step
    initial_lr: Optional[list] = None  # set in the groups beforehand, to resume (last_epoch)
    label: str = ""

    def args(self, i):
        return () if self.step_args is None else self.step_args(i)

    @property
    def id(self):
        return f"{self.name}-{self.label}" if self.label else self.name


def metric_args(fn):
    return lambda i: (fn(i),)


def jump_epochs(i):  # deprecated step(epoch), jumping back and forth
    return ((i * 7) % 23,)


CASES = [
    Case("StepLR", {"step_size": 7}),
    Case("StepLR", {"step_size": 3, "gamma": 0.5}, n_groups=1, label="gamma"),
    Case("StepLR", {"step_size": 4, "gamma": 0.7}, step_args=jump_epochs, label="epoch-arg"),
    Case("StepLR", {"step_size": 10, "last_epoch": 8}, initial_lr=[0.2, 0.1], label="resume"),
    Case("MultiStepLR", {"milestones": [3, 10, 10, 30]}),
    Case("MultiStepLR", {"milestones": [5, 5, 20], "gamma": 0.3}, step_args=jump_epochs,
         label="epoch-arg"),
    Case("ConstantLR", {}),
    Case("ConstantLR", {"factor": 0.5, "total_iters": 12}, label="custom"),
    Case("ConstantLR", {"factor": 0.25, "total_iters": 9}, step_args=jump_epochs,
         label="epoch-arg"),
    Case("LinearLR", {}),
    Case("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 30}, label="decay"),
    Case("LinearLR", {"start_factor": 0.2, "total_iters": 15}, step_args=jump_epochs,
         label="epoch-arg"),
    Case("ExponentialLR", {"gamma": 0.93}),
    Case("ExponentialLR", {"gamma": 0.9}, step_args=jump_epochs, label="epoch-arg"),
    Case("ExponentialLR", {"gamma": 0.9, "last_epoch": 4}, initial_lr=[0.3, 0.2],
         label="resume"),
    Case("PolynomialLR", {}),
    Case("PolynomialLR", {"total_iters": 40, "power": 2.5}, label="power"),
    Case("PolynomialLR", {"total_iters": 20, "power": 0.5}, step_args=jump_epochs,
         label="epoch-arg"),
    Case("CosineAnnealingLR", {"T_max": 10}),
    Case("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, label="eta_min"),
    Case("CosineAnnealingLR", {"T_max": 12, "eta_min": 0.001}, step_args=jump_epochs,
         label="epoch-arg"),
    Case("CosineAnnealingLR", {"T_max": 10, "last_epoch": 3}, initial_lr=[0.1, 0.05],
         label="resume"),
    Case("CosineAnnealingWarmRestarts", {"T_0": 7}),
    Case("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001},
         label="T_mult"),
    Case("CosineAnnealingWarmRestarts", {"T_0": 4, "T_mult": 2},
         step_args=lambda i: (i * 0.7,), label="fractional"),
    Case("CosineAnnealingWarmRestarts", {"T_0": 5}, step_args=lambda i: (i * 0.3,),
         label="fractional-Tmult1"),
    Case("LambdaLR", {"lr_lambda": warmup}),
    Case("LambdaLR", {"lr_lambda": [lambda e: 0.95 ** e, warmup]}, label="list"),
    Case("LambdaLR", {"lr_lambda": Make(lambda: CountingFactor(0.97))}, label="object"),
    Case("MultiplicativeLR", {"lr_lambda": lambda e: 0.9 if e % 3 else 1.05}),
    Case("MultiplicativeLR", {"lr_lambda": Make(lambda: CountingFactor(0.99))}, label="object"),
    Case("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
                                         ("CosineAnnealingLR", {"T_max": 20})],
                          "milestones": [5]}, label="warmup-cosine"),
    Case("SequentialLR", {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 3}),
                                         ("ExponentialLR", {"gamma": 0.9}),
                                         ("LambdaLR", {"lr_lambda": warmup})],
                          "milestones": [3, 20]}, label="three"),
    Case("ChainedScheduler", {"schedulers": [("ConstantLR", {"factor": 0.2, "total_iters": 4}),
                                             ("ExponentialLR", {"gamma": 0.95})]}),
    Case("ChainedScheduler", {"schedulers": [("LinearLR", {"total_iters": 6}),
                                             ("MultiStepLR", {"milestones": [10, 25]}),
                                             ("CosineAnnealingLR", {"T_max": 15})]},
         label="three"),
    Case("OneCycleLR", {"max_lr": 1.0, "total_steps": N_STEPS}),
    Case("OneCycleLR", {"max_lr": [1.0, 0.5], "epochs": 5, "steps_per_epoch": 10,
                        "anneal_strategy": "linear", "pct_start": 0.25}, label="linear"),
    Case("OneCycleLR", {"max_lr": 0.8, "total_steps": 60, "three_phase": True,
                        "div_factor": 10.0, "final_div_factor": 100.0}, label="three-phase"),
    Case("OneCycleLR", {"max_lr": 0.3, "total_steps": N_STEPS, "base_momentum": [0.8, 0.7],
                        "max_momentum": 0.9}, kind="adam", label="adam-betas"),
    Case("OneCycleLR", {"max_lr": 0.3, "total_steps": N_STEPS, "cycle_momentum": False},
         kind="adagrad", label="no-momentum"),
    Case("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}),
    Case("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": [0.1, 0.3], "step_size_up": 4,
                      "step_size_down": 7, "mode": "triangular2"}, label="triangular2"),
    Case("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "mode": "exp_range",
                      "gamma": 0.97}, label="exp_range"),
    Case("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3,
                      "scale_fn": lambda x: 0.8 ** x, "scale_mode": "iterations"},
         label="scale_fn"),
    Case("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3,
                      "scale_fn": Make(lambda: CountingFactor(0.9))}, label="scale_fn-object"),
    Case("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 5,
                      "base_momentum": 0.85, "max_momentum": [0.95, 0.99]}, kind="adam",
         label="adam-betas"),
    Case("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 8,
                      "cycle_momentum": False}, kind="adagrad", label="no-momentum"),
    Case("ReduceLROnPlateau", {"patience": 3}, step_args=metric_args(plateau_metric)),
    Case("ReduceLROnPlateau", {"mode": "max", "factor": 0.5, "patience": 2, "cooldown": 2,
                               "threshold": 0.05, "threshold_mode": "abs"},
         step_args=metric_args(lambda i: 1.0 - plateau_metric(i)), label="max-abs-cooldown"),
    Case("ReduceLROnPlateau", {"patience": 1, "min_lr": [0.001, 0.0001], "eps": 1e-3},
         step_args=metric_args(plateau_metric), label="min_lr-eps"),
]


ERROR_CASES = [
    Case("CosineAnnealingWarmRestarts", {"T_0": 0}, label="T_0=0"),
    Case("CosineAnnealingWarmRestarts", {"T_0": -2}, label="T_0<0"),
    Case("CosineAnnealingWarmRestarts", {"T_0": 2.5}, label="T_0-float"),
    Case("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 0}, label="T_mult=0"),
    Case("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 1.5}, label="T_mult-float"),
    Case("CosineAnnealingWarmRestarts", {"T_0": 3, "eta_min": "0"}, label="eta_min-str"),
    Case("ConstantLR", {"factor": 1.5}, label="factor>1"),
    Case("ConstantLR", {"factor": -0.1}, label="factor<0"),
    Case("LinearLR", {"start_factor": 0.0}, label="start=0"),
    Case("LinearLR", {"start_factor": 1.5}, label="start>1"),
    Case("LinearLR", {"end_factor": -0.5}, label="end<0"),
    Case("LambdaLR", {"lr_lambda": [warmup]}, label="too-few-lambdas"),
    Case("MultiplicativeLR", {"lr_lambda": 0.9}, label="not-callable"),
    Case("ReduceLROnPlateau", {"factor": 1.0}, label="factor=1"),
    Case("ReduceLROnPlateau", {"mode": "avg"}, label="mode"),
    Case("ReduceLROnPlateau", {"threshold_mode": "pct"}, label="threshold_mode"),
    Case("ReduceLROnPlateau", {"min_lr": [0.1]}, label="min_lr-length"),
    Case("OneCycleLR", {"max_lr": 1.0}, label="no-length"),
    Case("OneCycleLR", {"max_lr": 1.0, "total_steps": 0}, label="total_steps=0"),
    Case("OneCycleLR", {"max_lr": 1.0, "total_steps": 2.5}, label="total_steps-float"),
    Case("OneCycleLR", {"max_lr": 1.0, "epochs": 0, "steps_per_epoch": 3}, label="epochs=0"),
    Case("OneCycleLR", {"max_lr": 1.0, "epochs": 2, "steps_per_epoch": -1}, label="spe<0"),
    Case("OneCycleLR", {"max_lr": 1.0, "total_steps": 9, "pct_start": 1.5}, label="pct>1"),
    Case("OneCycleLR", {"max_lr": 1.0, "total_steps": 9, "pct_start": 0}, label="pct-int"),
    Case("OneCycleLR", {"max_lr": 1.0, "total_steps": 9, "anneal_strategy": "exp"},
         label="anneal"),
    Case("OneCycleLR", {"max_lr": [1.0], "total_steps": 9}, label="max_lr-length"),
    Case("OneCycleLR", {"max_lr": 1.0, "total_steps": 9}, kind="adagrad", label="no-momentum"),
    Case("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "mode": "sine"}, label="mode"),
    Case("CyclicLR", {"base_lr": [0.1], "max_lr": 1.0}, label="base_lr-length"),
    Case("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0}, kind="adagrad", label="no-momentum"),
    Case("StepLR", {"step_size": 3, "last_epoch": 5}, label="resume-without-initial_lr"),
    Case("SequentialLR", {"schedulers": [], "milestones": []}, label="empty"),
    Case("SequentialLR", {"schedulers": [("StepLR", {"step_size": 2})], "milestones": [3]},
         label="milestones-length"),
    Case("ChainedScheduler", {"schedulers": []}, label="empty"),
]
