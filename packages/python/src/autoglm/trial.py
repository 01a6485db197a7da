"""A running trial (handed out by ``ask``) and a finished one (``FrozenTrial``)."""

from __future__ import annotations

import math
import numbers
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence

from .errors import AutoglmError, SpaceMismatchError, TrialPruned
from .space import Categorical, Choice, Float, Int, check_suggest

if TYPE_CHECKING:  # pragma: no cover
    from .study import Study

__all__ = ["Trial", "FrozenTrial", "to_finite_float"]

# Reasons are stored up to 1,000 characters (trial.tell's limit).
MAX_REASON = 1000


def to_finite_float(value: Any, what: str) -> float:
    """A number, a NumPy scalar or a 0-d tensor → float; refuses NaN, ±inf and non-numbers."""
    if isinstance(value, bool):
        raise TypeError("%s must be a number, not a bool" % what)
    if hasattr(value, "item") and callable(value.item):
        value = value.item()  # numpy scalars and 0-d arrays, torch tensors
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError("%s must be a number (got %r)" % (what, value)) from None
    if not math.isfinite(out):
        raise ValueError("%s must be a finite number (got %r)" % (what, out))
    return out


def _check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or int(step) < 0:
        raise TypeError(
            "step must be a whole number >= 0 (got %r); note the order: trial.report(step, value)" % (step,)
        )
    return int(step)


class Trial:
    """A trial leased to this program: its ``params``, ``suggest_*``, ``report`` and ``tell``.

    ``trial["lr"]`` is ``trial.params["lr"]``. While the trial runs, a background thread
    renews its lease, so an objective may go as long as it needs between reports.
    """

    def __init__(self, study: "Study", trial_id: str, number: int, params: Mapping[str, Any]) -> None:
        self.study = study
        self.id = trial_id
        self.number = number
        self.params: Dict[str, Any] = dict(params)
        self._prune = False
        self._prune_reason: Optional[str] = None
        self._finished = False
        self._lost: Optional[AutoglmError] = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "Trial(number=%d, id=%r, params=%r)" % (self.number, self.id, self.params)

    # -- parameters ------------------------------------------------------------------------

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    def __contains__(self, name: object) -> bool:
        return name in self.params

    def __iter__(self) -> Iterator[str]:
        return iter(self.params)

    def _suggest(self, name: str, wanted: Dict[str, Any]) -> Any:
        space = self.study.space or {}
        check_suggest(name, wanted, space)
        if name not in self.params:
            raise SpaceMismatchError(
                "parameter %r is inactive in this trial: the study's space has it only when %r"
                % (name, space[name].get("when"))
            )
        return self.params[name]

    def suggest_float(self, name: str, low: float, high: float, *, step: Optional[float] = None, log: bool = False) -> float:
        """The platform's value for ``name``, checked against the study's space (Optuna's signature)."""
        return float(self._suggest(name, Float(low, high, step=step, log=log).to_spec()))

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return int(self._suggest(name, Int(low, high, step=step, log=log).to_spec()))

    def suggest_categorical(self, name: str, choices: Sequence[Choice]) -> Any:
        return self._suggest(name, Categorical(choices).to_spec())

    # -- reporting -----------------------------------------------------------------------

    def report(self, step: int, value: Any, *, raise_pruned: bool = True) -> bool:
        """Sends an intermediate value (a report also renews the trial's lease).

        Raises ``autoglm.TrialPruned`` (carrying the pruner's reason) when the study's pruner
        says stop, unless ``raise_pruned=False``: then it returns True and ``should_prune()``
        says so too. A retried report of the same step is harmless (idempotent per step).
        """
        step = _check_step(step)
        value = to_finite_float(value, "value")
        if self._lost is not None:
            raise self._lost
        try:
            data = self.study._client._transport.call(
                "POST", "trial.report", {"trialId": self.id, "step": step, "value": value}
            ).data
        except AutoglmError as e:
            if e.code == "TRIAL_NOT_RUNNING":
                self._lost = e
            raise
        self.study._client._leases.touched(self.id)
        self._prune = bool(data.get("prune"))
        self._prune_reason = data.get("reason") if self._prune else None
        if self._prune and raise_pruned:
            raise TrialPruned(self._prune_reason or "pruned by the study's pruner")
        return self._prune

    def should_prune(self) -> bool:
        """Whether the last report was answered "stop" (Optuna's ``trial.should_prune()``)."""
        return self._prune

    @property
    def prune_reason(self) -> Optional[str]:
        """The pruner's reason, in the metric's units, when the last report said stop."""
        return self._prune_reason

    # -- finishing -----------------------------------------------------------------------

    def tell(
        self,
        value: Any = None,
        *,
        values: Optional[Sequence[Any]] = None,
        metrics: Optional[Mapping[str, Any]] = None,
        state: Optional[str] = None,
        reason: Optional[str] = None,
    ) -> None:
        """Finishes the trial: ``tell(0.37)`` (complete), ``tell(values=[0.37, 12.5])`` (one per
        objective of a multi-objective study), ``tell(state="pruned")`` or
        ``tell(state="failed", reason=…)``. ``metrics={"memory_gb": 12}`` gives the values of the
        metrics the study's constraints bound.

        Safe to retry: the platform answers a repeated tell of the same result with success,
        so a tell whose answer was lost to a dropped connection is sent again and counted once.
        """
        payload: Dict[str, Any] = {"trialId": self.id}
        state = state or "complete"
        if state not in ("complete", "pruned", "failed"):
            raise ValueError('state must be "complete", "pruned" or "failed" (got %r)' % (state,))
        if value is not None and values is not None:
            raise ValueError("tell() takes value or values, not both")
        if state == "complete" and value is None and values is None:
            raise ValueError("tell() needs the objective value (or values=[...]), or state='pruned' / 'failed'")
        if value is not None:
            payload["value"] = to_finite_float(value, "value")
        if values is not None:
            payload["values"] = [to_finite_float(v, "values[%d]" % i) for i, v in enumerate(values)]
        if metrics:
            payload["metrics"] = {str(k): to_finite_float(v, "metrics[%r]" % (k,)) for k, v in metrics.items()}
        if state != "complete":
            payload["state"] = state
        if reason:
            payload["reason"] = str(reason)[:MAX_REASON]
        try:
            self.study._client._transport.call("POST", "trial.tell", payload)
        finally:
            with self._lock:
                self._finished = True
            self.study._client._leases.remove(self.id)

    def _on_lease_lost(self, error: AutoglmError) -> None:
        self._lost = error


class FrozenTrial:
    """A trial as the platform stores it (what ``study.trials`` and ``best_trial`` return)."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.id: str = row.get("id") or row.get("trialId")  # type: ignore[assignment]
        self.number: int = int(row["number"])
        self.value: Optional[float] = row.get("value")
        #: Per objective, in spec order (multi-objective studies); ``value`` is the first.
        self.values: Optional[List[float]] = row.get("values")
        #: False when the trial broke a constraint (kept, never best); None without constraints.
        self.feasible: Optional[bool] = row.get("feasible")
        #: Per constraint, its violation (value − max or min − value; ≤ 0 satisfied).
        self.constraint_values: Optional[List[float]] = row.get("constraintValues")
        self.params: Dict[str, Any] = dict(row.get("params") or {})
        self.state: str = row.get("state", "complete")
        self.datetime_start: Optional[datetime] = _parse_iso(row.get("startedAt"))
        self.datetime_complete: Optional[datetime] = _parse_iso(row.get("finishedAt"))
        self.end_code: Optional[str] = row.get("endCode")
        self.end_reason: Optional[str] = row.get("endReason")
        self.last_step: Optional[int] = row.get("lastStep")

    @property
    def duration(self):  # -> Optional[timedelta]
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    def __repr__(self) -> str:
        return "FrozenTrial(number=%d, state=%r, value=%r, params=%r)" % (self.number, self.state, self.value, self.params)


def _parse_iso(value: Any) -> Optional[datetime]:
    if not value:
        return None
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"  # fromisoformat reads "Z" only from Python 3.11 on
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
