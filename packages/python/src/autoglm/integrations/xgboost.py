"""XGBoost: report a validation metric after every boosting round; stop when the pruner says so.

    import xgboost as xgb
    from autoglm.integrations.xgboost import PruningCallback

    def objective(trial):
        booster = xgb.train({"objective": "binary:logistic", "eta": trial["eta"], "eval_metric": "logloss"},
                            dtrain, num_boost_round=200, evals=[(dvalid, "validation")],
                            callbacks=[PruningCallback(trial, "validation-logloss")])
        return float(booster.eval(dvalid).split(":")[1])
"""

from __future__ import annotations

from typing import Any

import xgboost

from ..errors import TrialPruned

__all__ = ["PruningCallback"]


class PruningCallback(xgboost.callback.TrainingCallback):
    """An ``xgboost.train`` / ``XGBModel.fit`` callback.

    ``observation_key`` is ``"<evals name>-<metric>"`` as XGBoost logs it (``validation-logloss``
    for ``evals=[(dvalid, "validation")]``; ``validation_0-logloss`` for the scikit-learn API).
    The step is the boosting round. When the pruner says stop, training ends at once with
    ``autoglm.TrialPruned`` (raised from ``xgb.train``).
    """

    def __init__(self, trial: Any, observation_key: str) -> None:
        super().__init__()
        self.trial = trial
        self.observation_key = observation_key
        data_name, sep, metric = observation_key.partition("-")
        if not sep:
            raise ValueError('observation_key must be "<evals name>-<metric>", e.g. "validation-logloss" (got %r)' % observation_key)
        self._data_name = data_name
        self._metric = metric

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        history = evals_log.get(self._data_name, {}).get(self._metric)
        if not history:
            raise ValueError(
                "PruningCallback: XGBoost logged no %r (it logged %s)"
                % (self.observation_key, sorted("%s-%s" % (d, m) for d, ms in evals_log.items() for m in ms) or "nothing")
            )
        value = history[-1]
        if isinstance(value, tuple):  # xgb.cv logs (mean, std)
            value = value[0]
        if self.trial.report(epoch, float(value), raise_pruned=False):
            raise TrialPruned(self.trial.prune_reason or "pruned at boosting round %d" % epoch)
        return False
