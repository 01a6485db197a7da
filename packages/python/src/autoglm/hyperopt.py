"""``autoglm.hyperopt``: create a study and run it, in one call."""

from __future__ import annotations

import time
from typing import Any, Mapping, Optional

from .client import Client
from .study import Objective
from .trial import FrozenTrial

__all__ = ["hyperopt"]


def hyperopt(
    objective: Objective,
    space: Optional[Mapping[str, Any]] = None,
    direction: str = "minimize",
    max_trials: int = 50,
    timeout: Optional[float] = None,
    *,
    n_jobs: int = 1,
    project: Optional[str] = None,
    name: Optional[str] = None,
    sampler: Any = "auto",
    pruner: Any = None,
    metric: str = "objective",
    client: Optional[Client] = None,
) -> Optional[FrozenTrial]:
    """Creates a study of ``max_trials`` trials and runs ``objective`` on them; returns the best trial.

    ``objective(trial)`` reads ``trial["lr"]`` (or calls ``trial.suggest_*`` when ``space`` is
    None) and returns the value to ``direction``. ``timeout`` (seconds) stops asking for new
    trials. The study is named ``name``, else after the objective and the time, in ``project``
    (else ``AUTOGLM_PROJECT``, else the team's only project), and stays on the dashboard.
    """
    client = client or Client()
    study_name = name or "%s-%s" % (getattr(objective, "__name__", "objective").strip("<>") or "objective", time.strftime("%Y%m%d-%H%M%S"))
    study = client.create_study(
        project=project,
        name=study_name,
        direction=direction,
        space=space,
        metric=metric,
        sampler=sampler,
        pruner=pruner,
        max_trials=max_trials,
        max_parallel=max(n_jobs, 1) if n_jobs > 4 else None,
    )
    return study.optimize(objective, n_trials=max_trials, timeout=timeout, n_jobs=n_jobs)
