"""PyTorch Lightning: report a logged metric after each validation; stop when the pruner says so.

    import lightning.pytorch as pl   # or: import pytorch_lightning as pl
    from autoglm.integrations.lightning import PruningCallback

    def objective(trial):
        model = MyModule(lr=trial["lr"])
        pruning = PruningCallback(trial, monitor="val_loss")
        trainer = pl.Trainer(max_epochs=20, callbacks=[pruning])
        trainer.fit(model, datamodule=dm)
        pruning.check_pruned()           # raises autoglm.TrialPruned if the pruner stopped it
        return trainer.callback_metrics["val_loss"].item()
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import TrialPruned

try:  # Lightning 2.x ships as `lightning`; `pytorch_lightning` is the same code under its old name.
    from lightning.pytorch import Callback as _Callback
except ImportError:  # pragma: no cover - depends on what is installed
    from pytorch_lightning import Callback as _Callback

__all__ = ["PruningCallback"]


class PruningCallback(_Callback):  # type: ignore[misc, valid-type]
    """Reports ``trainer.callback_metrics[monitor]`` at the end of each validation, with the
    epoch as the step. When the pruner says stop it sets ``trainer.should_stop`` (Lightning
    ends the fit cleanly, on every process); ``check_pruned()`` then raises ``TrialPruned``."""

    def __init__(self, trial: Any, monitor: str) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.pruned_reason: Optional[str] = None
        self.pruned_at: Optional[int] = None

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if getattr(trainer, "sanity_checking", False):
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            raise ValueError(
                "PruningCallback: no metric %r was logged (logged: %s); call self.log(%r, ...) in validation_step"
                % (self.monitor, sorted(trainer.callback_metrics) or "nothing", self.monitor)
            )
        epoch = int(trainer.current_epoch)
        if getattr(trainer, "is_global_zero", True):
            pruned = self.trial.report(epoch, value, raise_pruned=False)
        else:  # pragma: no cover - multi-process runs
            pruned = False
        strategy = getattr(trainer, "strategy", None)
        if strategy is not None and hasattr(strategy, "broadcast"):
            pruned = strategy.broadcast(pruned)
        if pruned:
            self.pruned_at = epoch
            self.pruned_reason = getattr(self.trial, "prune_reason", None) or "pruned at epoch %d" % epoch
            trainer.should_stop = True

    def check_pruned(self) -> None:
        """Raises ``autoglm.TrialPruned`` when the pruner stopped the fit."""
        if self.pruned_reason is not None:
            raise TrialPruned(self.pruned_reason)
