"""A plain PyTorch training loop: epochs that stop when the pruner says so.

    from autoglm.integrations.torch import epochs

    def objective(trial):
        model, opt = build(trial["layers"]), torch.optim.AdamW(params, lr=trial["lr"])
        for epoch in epochs(trial, 20):            # ends the trial as pruned when told
            train_one_epoch(model, opt)
            val_loss = evaluate(model)             # a 0-d tensor is fine
            epoch.report(val_loss)
        return epoch.last_value
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from ..errors import TrialPruned
from ..trial import to_finite_float

__all__ = ["epochs", "Epoch"]


class Epoch(int):
    """The epoch number (an ``int``) with ``report(value)`` for that epoch."""

    trial: Any
    last_value: Optional[float]

    def report(self, value: Any) -> None:
        """Reports ``value`` (a number, NumPy scalar or 0-d tensor, detached and moved to the
        CPU by ``.item()``) at this epoch; raises ``TrialPruned`` when the pruner says stop."""
        number = to_finite_float(value.detach() if hasattr(value, "detach") else value, "value")
        type(self).last_value = number
        self.trial.report(int(self), number)


def epochs(trial: Any, n: int, start: int = 0) -> Iterator[Epoch]:
    """Yields epochs ``start`` … ``n - 1``; a pruned trial raises ``TrialPruned`` out of the loop
    at the epoch whose report the pruner stopped, so no further epoch trains."""
    cls = type("Epoch", (Epoch,), {"trial": trial, "last_value": None})
    for i in range(start, n):
        e = cls(i)
        yield e
        if not trial.should_prune():
            continue
        raise TrialPruned(trial.prune_reason or "pruned at epoch %d" % i)  # pragma: no cover - report raised first
