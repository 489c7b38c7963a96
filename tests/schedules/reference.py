"""NumPy (float64) reference implementations of the published schedule formulas.

CyclicLR and OneCycleLR follow the formulas documented for PyTorch's
`torch.optim.lr_scheduler.CyclicLR` and `OneCycleLR` (its `get_lr`), with
PyTorch's step counting: the value at step ``t`` is the rate after ``t``
scheduler steps.
"""

import math


def cyclical(step, base, top, step_size, mode="triangular", gamma=1.0):
    total = 2 * step_size
    cycle = math.floor(1 + step / total)
    x = 1.0 + step / total - cycle
    scale_factor = x / 0.5 if x <= 0.5 else (x - 1) / (0.5 - 1)
    height = (top - base) * scale_factor
    if mode == "triangular":
        return base + height
    if mode == "triangular2":
        return base + height / (2.0 ** (cycle - 1))
    return base + height * gamma**step


def one_cycle(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal="cos", three_phase=False):
    initial = max_lr / div_factor
    minimum = initial / final_div_factor
    if three_phase:
        phases = [
            (float(pct_start * total_steps) - 1, initial, max_lr),
            (float(2 * pct_start * total_steps) - 2, max_lr, initial),
            (total_steps - 1, initial, minimum),
        ]
    else:
        phases = [(float(pct_start * total_steps) - 1, initial, max_lr), (total_steps - 1, max_lr, minimum)]
    # PyTorch extrapolates one step past the cycle, then raises; kerasreg
    # holds the final rate, as Keras's decay schedules do.
    step = min(step, total_steps - 1)
    start_step = 0
    for i, (end_step, start, end) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            pct = (step - start_step) / (end_step - start_step)
            if anneal == "cos":
                return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
            return (end - start) * pct + start
        start_step = end_step


def warmup(step, target_fn, warmup_steps, initial=0.0, mode="linear", shift=True):
    if step >= warmup_steps:
        return target_fn(step - warmup_steps if shift else step)
    target = target_fn(0 if shift else warmup_steps)
    fraction = step / warmup_steps
    if mode == "linear":
        return initial + (target - initial) * fraction
    return initial * (target / initial) ** fraction


def cosine(step, lr, decay_steps, alpha=0.0):
    progress = min(step, decay_steps) / decay_steps
    return lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * progress)) + alpha)


def exponential(step, lr, decay_steps, rate, staircase=False):
    p = step / decay_steps
    return lr * rate ** (math.floor(p) if staircase else p)
