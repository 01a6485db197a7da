"""LightGBM: report a validation metric at every boosting round; stop when the pruner says so.

    import lightgbm as lgb
    from autoglm.integrations.lightgbm import PruningCallback

    def objective(trial):
        booster = lgb.train({"objective": "binary", "learning_rate": trial["lr"], "verbose": -1},
                            dtrain, num_boost_round=200, valid_sets=[dvalid],
                            callbacks=[PruningCallback(trial, "binary_logloss")])
        return booster.best_score["valid_0"]["binary_logloss"]
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import TrialPruned

__all__ = ["PruningCallback"]


class PruningCallback:
    """A ``lightgbm.train`` / ``LGBMModel.fit`` callback.

    ``metric`` is the evaluation's name (``binary_logloss``, ``auc``, ``l2``, …) and
    ``valid_name`` the validation set's (``valid_0`` by default; the first set that reports
    ``metric`` when None). The step is the boosting round. When the pruner says stop, training
    ends at once with ``autoglm.TrialPruned`` (raised from ``lgb.train``).
    """

    # LightGBM runs callbacks in `order`; after the early-stopping callback (30), as Optuna's.
    order = 40

    def __init__(self, trial: Any, metric: str, valid_name: Optional[str] = None) -> None:
        self.trial = trial
        self.metric = metric
        self.valid_name = valid_name

    def __call__(self, env: Any) -> None:
        for entry in env.evaluation_result_list:
            data_name, eval_name, value = entry[0], entry[1], entry[2]
            # lgb.cv reports "valid <metric>-mean"-style names with the data set "cv_agg".
            if eval_name != self.metric and not (data_name == "cv_agg" and eval_name.startswith(self.metric)):
                continue
            if self.valid_name is not None and data_name not in (self.valid_name, "cv_agg"):
                continue
            if self.trial.report(env.iteration, value, raise_pruned=False):
                raise TrialPruned(self.trial.prune_reason or "pruned at boosting round %d" % env.iteration)
            return
        where = "" if self.valid_name is None else " on %r" % self.valid_name
        raise ValueError(
            "PruningCallback: LightGBM reported no metric %r%s (it reported %s); pass valid_sets= and the metric's name"
            % (self.metric, where, sorted({"%s/%s" % (e[0], e[1]) for e in env.evaluation_result_list}) or "nothing")
        )
