"""Open-AutoGLM's Python SDK: hyperparameter studies on the platform, with Optuna's feel.

    import autoglm
    client = autoglm.Client()   # AUTOGLM_SERVER / AUTOGLM_TOKEN, or the CLI's stored config
    study = client.create_study(project="demo", name="resnet-lr", direction="minimize",
                                space={"lr": autoglm.Float(1e-5, 1e-1, log=True)}, pruner="asha")
    best = study.optimize(objective, n_trials=50, n_jobs=4)

For commands run by an agent: ``autoglm.report(step, loss=…)``, ``autoglm.should_prune()``,
``autoglm.params()``, ``autoglm.output_dir()``, ``autoglm.log_artifact(path)``, ``autoglm.log_source()``.
The model registry: ``client.models.register(trial_id, "name")``, ``client.models.download("models:/name@champion", dir)``.
"""

from __future__ import annotations

from . import log as _log  # noqa: F401  (installs the default progress handler)
from .agent_report import (
    final,
    install_sigterm_handler,
    log_artifact,
    log_source,
    output_dir,
    params,
    report,
    resume_from,
    should_prune,
)
from .client import Client
from .config import config_path
from .errors import AutoglmError, DuplicatedStudyError, SpaceMismatchError, TrialPruned
from .hyperopt import hyperopt
from .log import disable_default_handler, set_verbosity
from .models import Models, manifest_digest
from .space import Categorical, Float, Int
from .study import Study
from .trial import FrozenTrial, Trial

__version__ = "0.1.0"

__all__ = [
    "AutoglmError",
    "Categorical",
    "Client",
    "DuplicatedStudyError",
    "Float",
    "FrozenTrial",
    "Int",
    "Models",
    "SpaceMismatchError",
    "Study",
    "Trial",
    "TrialPruned",
    "config_path",
    "disable_default_handler",
    "final",
    "hyperopt",
    "install_sigterm_handler",
    "log_artifact",
    "log_source",
    "manifest_digest",
    "output_dir",
    "params",
    "report",
    "resume_from",
    "set_verbosity",
    "should_prune",
]
