"""Pruning callbacks for training frameworks. Each module imports its framework only when used:

- ``autoglm.integrations.lightgbm.PruningCallback``
- ``autoglm.integrations.xgboost.PruningCallback``
- ``autoglm.integrations.lightning.PruningCallback`` (PyTorch Lightning)
- ``autoglm.integrations.torch.epochs`` (a plain PyTorch training loop)

Each reports the monitored metric at every step and stops training when the study's pruner
says so; the objective then ends with ``autoglm.TrialPruned`` and ``optimize`` tells the
platform the trial was pruned, with the pruner's reason.
"""
