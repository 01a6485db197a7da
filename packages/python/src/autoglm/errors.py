"""The errors the SDK raises."""

from __future__ import annotations

from typing import Optional

__all__ = [
    "AutoglmError",
    "DuplicatedStudyError",
    "SpaceMismatchError",
    "TrialPruned",
    "STUDY_ENDED_CODES",
]

# Codes (the server's data.appCode) with which `ask` says the study hands out no more
# trials: stopped, completed, failed, or budget.max_trials used up.
STUDY_ENDED_CODES = ("STUDY_NOT_RUNNING", "STUDY_BUDGET_EXHAUSTED")


class AutoglmError(Exception):
    """An error from the platform or from talking to it.

    ``code`` is the server's app code (``STUDY_NOT_FOUND``, ``TRIAL_NOT_RUNNING``,
    ``MAX_PARALLEL_REACHED``, …), else the tRPC code (``UNAUTHORIZED``, ``BAD_REQUEST``),
    else one of the SDK's own: ``UNREACHABLE`` (no answer after the retries), ``BAD_RESPONSE``
    (not the platform's JSON: a wrong URL or a proxy's page), ``CONFIG``, ``USAGE``.
    ``status`` is the HTTP status when there was one. The message never holds the token.
    """

    def __init__(self, message: str, code: Optional[str] = None, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    @property
    def is_auth_error(self) -> bool:
        """True when the server did not accept the token (missing, mistyped, revoked, expired)."""
        return self.status == 401 or self.code in ("UNAUTHORIZED", "TOKEN_INVALID")

    @property
    def is_study_ended(self) -> bool:
        """True when the study hands out no more trials (stopped, completed, budget spent)."""
        return self.code in STUDY_ENDED_CODES

    def __repr__(self) -> str:
        return "AutoglmError(%r, code=%r, status=%r)" % (self.message, self.code, self.status)


class DuplicatedStudyError(AutoglmError):
    """``create_study(..., load_if_exists=False)`` found a study of that name in the project."""


class SpaceMismatchError(ValueError):
    """A ``trial.suggest_*`` call does not match the study's search space."""


class TrialPruned(Exception):
    """Raised by ``trial.report`` when the study's pruner says stop (Optuna's ``TrialPruned``).

    Raise it yourself inside an objective to end the trial as pruned. ``optimize`` catches
    it and tells the platform, with the pruner's reason when it gave one.
    """
