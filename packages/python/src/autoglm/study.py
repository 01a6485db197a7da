"""A study: ``optimize`` (Optuna's loop), ``ask``/``tell``, the best trial and all trials."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union

from .errors import STUDY_ENDED_CODES, AutoglmError, SpaceMismatchError, TrialPruned
from .space import representative_value
from .trial import MAX_REASON, FrozenTrial, Trial, to_finite_float

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

logger = logging.getLogger("autoglm")

__all__ = ["Study"]

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]

# While other workers hold every budget.max_parallel slot, ask again after 1 s doubling to
# 15 s: a slot frees when a trial ends, and a vanished worker's trial expires with its lease.
WAIT_FIRST_S = 1.0
WAIT_MAX_S = 15.0
# How long optimize waits for a free slot before giving up (the default lease, 10 min: by
# then a vanished worker's trial has expired and freed its slot).
DEFAULT_MAX_WAIT_S = 600.0

INTERRUPTED_REASON = "interrupted: the program running the objective was stopped (KeyboardInterrupt)"


class _SpaceDiscovered(BaseException):
    """Ends the space-discovery run of an objective at its first report (BaseException, so an
    objective's own ``except Exception`` does not swallow it)."""


class _DiscoveryTrial:
    """Records ``suggest_*`` calls into a space and answers each with a valid value."""

    number = -1
    id = None

    def __init__(self) -> None:
        self.space: Dict[str, Dict[str, Any]] = {}
        self.params: Dict[str, Any] = {}

    def _record(self, name: str, spec: Dict[str, Any]) -> Any:
        held = self.space.get(name)
        if held is not None and held != spec:
            raise SpaceMismatchError("parameter %r is suggested twice with different ranges: %r and %r" % (name, held, spec))
        self.space[name] = spec
        self.params[name] = representative_value(spec)
        return self.params[name]

    def suggest_float(self, name: str, low: float, high: float, *, step: Optional[float] = None, log: bool = False) -> float:
        from .space import Float

        return self._record(name, Float(low, high, step=step, log=log).to_spec())

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        from .space import Int

        return self._record(name, Int(low, high, step=step, log=log).to_spec())

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        from .space import Categorical

        return self._record(name, Categorical(choices).to_spec())

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    def report(self, step: int, value: Any, *, raise_pruned: bool = True) -> bool:
        raise _SpaceDiscovered()

    def should_prune(self) -> bool:
        return False

    prune_reason = None


class _RunState:
    """What the workers of one optimize call share."""

    def __init__(self, n_trials: Optional[int], timeout: Optional[float]) -> None:
        self.lock = threading.Lock()
        self.left = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.stop = threading.Event()
        self.running: Dict[str, Trial] = {}
        self.error: Optional[BaseException] = None
        self.ended_because: Optional[str] = None
        self.results: List[FrozenTrial] = []

    def claim(self) -> bool:
        """Takes one trial of the n_trials budget; False when the loop should end."""
        with self.lock:
            if self.stop.is_set():
                return False
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.ended_because = self.ended_because or "timeout"
                return False
            if self.left is not None:
                if self.left <= 0:
                    return False
                self.left -= 1
            return True

    def give_back(self) -> None:
        with self.lock:
            if self.left is not None:
                self.left += 1


class Study:
    """A study on the platform. Get one from ``Client.create_study``, ``load_study`` or ``apply``."""

    def __init__(
        self,
        client: "Client",
        study_id: Optional[str],
        name: str,
        spec: Dict[str, Any],
        project_id: str,
        *,
        if_exists: str = "resume",
    ) -> None:
        self._client = client
        self.id = study_id
        self.name = name
        self.project_id = project_id
        self._spec = spec
        self._if_exists = if_exists
        self._create_lock = threading.Lock()

    def __repr__(self) -> str:
        return "Study(name=%r, id=%r)" % (self.name, self.id)

    # -- what it is ------------------------------------------------------------------------

    @property
    def space(self) -> Optional[Dict[str, Dict[str, Any]]]:
        """The study's search space (spec form); None until a define-by-run objective showed it."""
        return self._spec.get("space")

    @property
    def directions(self) -> List[str]:
        """One direction per objective, in the spec's order."""
        objectives = self._spec.get("objectives")
        if objectives:
            return [o["direction"] for o in objectives]
        return [self._spec["objective"]["direction"]]

    @property
    def direction(self) -> str:
        """The direction of a single-objective study (Optuna's ``Study.direction``)."""
        directions = self.directions
        if len(directions) > 1:
            raise RuntimeError("study %r has %d objectives: use study.directions" % (self.name, len(directions)))
        return directions[0]

    @property
    def spec(self) -> Dict[str, Any]:
        return self._spec

    @property
    def url(self) -> Optional[str]:
        """The study's page on the dashboard."""
        return None if self.id is None else "%s/studies/%s" % (self._client.server, self.id)

    def _require_id(self) -> str:
        if self.id is None:
            raise AutoglmError(
                "study %r has no search space yet: pass create_study(space=...), or run optimize(objective) "
                "once, which builds the space from the objective's suggest_* calls" % self.name,
                code="USAGE",
            )
        return self.id

    def state(self) -> str:
        """``running``, ``stopped``, ``completed`` or ``failed`` (asks the platform)."""
        return self._client._get_study(self._require_id())["state"]

    # -- define-by-run ---------------------------------------------------------------------

    def _discover_space(self, objective: Objective) -> None:
        """Runs the objective up to its first report with placeholder values (each parameter's
        middle, the first choice) to learn its ``suggest_*`` calls, then creates the study."""
        probe = _DiscoveryTrial()
        try:
            objective(probe)  # type: ignore[arg-type]
        except _SpaceDiscovered:
            pass
        except KeyError as e:
            raise AutoglmError(
                "the objective read parameter %s before suggesting it; with no space given to create_study, "
                "every parameter must come from trial.suggest_*" % e,
                code="USAGE",
            ) from None
        except TrialPruned:
            pass
        else:
            logger.warning(
                "study %r: the objective ran once with placeholder values to learn its search space "
                "(it never called trial.report); pass create_study(space=...) to skip that run",
                self.name,
            )
        if not probe.space:
            raise AutoglmError("the objective suggested no parameters; call trial.suggest_* or pass create_study(space=...)", code="USAGE")
        spec = dict(self._spec)
        spec["space"] = probe.space
        created = self._client._apply_spec(self.project_id, spec, if_exists=self._if_exists)
        self._spec = created["spec"]
        self.id = created["id"]
        logger.info("study %r created with the space of the objective's suggest_* calls: %s", self.name, ", ".join(probe.space))

    def _ensure_created(self, objective: Optional[Objective]) -> str:
        with self._create_lock:
            if self.id is None and objective is not None:
                self._discover_space(objective)
        return self._require_id()

    # -- ask / tell ------------------------------------------------------------------------

    def ask(self) -> Trial:
        """Leases the study's next trial. Raises ``AutoglmError`` with code ``MAX_PARALLEL_REACHED``
        while ``budget.max_parallel`` trials are in flight, and ``STUDY_BUDGET_EXHAUSTED`` /
        ``STUDY_NOT_RUNNING`` once the study hands out no more."""
        study_id = self._require_id()
        client = self._client

        def warn_resend(err: AutoglmError) -> None:
            # trial.ask is the one call that is not idempotent: a lost answer may leave a
            # trial leased to nobody, which the platform fails (LEASE_EXPIRED) once its
            # lease runs out. Retrying beats stopping the whole loop for that.
            logger.warning(
                "study %r: the answer to an ask was lost (%s); asking again. The platform may hold one "
                "unused trial until its lease expires",
                self.name,
                err,
            )

        resp = client._transport.call("POST", "trial.ask", {"studyId": study_id}, on_resend=warn_resend)
        d = resp.data
        trial = Trial(self, d["trialId"], int(d["number"]), d.get("params") or {})
        expires = _iso_to_unix(d.get("leaseExpiresAt"))
        now = resp.server_time if resp.server_time is not None else time.time()
        # The Date header has whole seconds: count the lease a second short to stay inside it.
        lease_s = max(0.3, (expires - now - 1.0) if expires is not None else 600.0)
        client._leases.add(trial.id, lease_s, trial._on_lease_lost)
        return trial

    def tell(
        self,
        trial: Union[Trial, str],
        value: Any = None,
        *,
        values: Optional[Sequence[Any]] = None,
        metrics: Optional[Mapping[str, Any]] = None,
        state: Optional[str] = None,
        reason: Optional[str] = None,
    ) -> None:
        """Finishes a trial asked for earlier (a ``Trial`` or its id); see ``Trial.tell``
        (``values=[...]`` for a multi-objective study, ``metrics={...}`` for constraints)."""
        target = trial if isinstance(trial, Trial) else Trial(self, str(trial), -1, {})
        target.tell(value, values=values, metrics=metrics, state=state, reason=reason)

    def enqueue(self, params: Mapping[str, Any]) -> int:
        """Queues a trial with exactly these parameters (Optuna's ``enqueue_trial``): the study's
        next ``ask`` (or agent lease) gets it. It takes a trial number, returned, and counts
        against ``max_trials``. Parameters that do not fit the space raise ``AutoglmError`` with
        code ``INVALID_PARAMS`` naming the parameter; nothing is queued then."""
        study_id = self._require_id()

        def warn_resend(err: AutoglmError) -> None:
            # Like ask, enqueue is not idempotent: a lost answer resent may queue the point twice.
            logger.warning("study %r: the answer to an enqueue was lost (%s); sending it again", self.name, err)

        resp = self._client._transport.call(
            "POST", "trial.enqueue", {"studyId": study_id, "params": dict(params)}, on_resend=warn_resend
        )
        return int(resp.data["number"])

    def stop(self) -> None:
        """Stops the study: no more trials; running ones end failed (STUDY_STOPPED)."""
        self._client._transport.call("POST", "study.stop", {"studyId": self._require_id()})

    # -- results ---------------------------------------------------------------------------

    @property
    def best_trial(self) -> FrozenTrial:
        """The best complete trial; ``ValueError`` when none has completed (as in Optuna)."""
        best = self._client._transport.call("GET", "study.best", {"studyId": self._require_id()}).data
        if best is None:
            raise ValueError("no trial of study %r has completed yet" % self.name)
        row = dict(best)
        row["state"] = "complete"
        return FrozenTrial(row)

    @property
    def best_trials(self) -> List[FrozenTrial]:
        """The Pareto set of a multi-objective study (the best trial alone for one objective):
        complete, feasible trials no other trial dominates, by number (Optuna's ``best_trials``)."""
        best = self._client._transport.call("GET", "study.best", {"studyId": self._require_id()}).data
        if best is None:
            return []
        rows = best.get("pareto") or [best]
        return [FrozenTrial(dict(r, state="complete", value=(r.get("values") or [r.get("value")])[0])) for r in rows]

    @property
    def best_predicted(self) -> Optional[Dict[str, Any]]:
        """A noisy study's best (``sampler: {noise: true}``): of the five trials with the best
        values, the one a GP with a fitted noise term predicts best, as ``{"number", "params",
        "value", "predicted", "noise_sd"}``; ``None`` below 10 complete trials and for several
        objectives. ``best_trial`` has the best value, on a noisy objective partly a lucky draw."""
        got = self._client._transport.call("GET", "study.bestPredicted", {"studyId": self._require_id()}).data
        if got is None:
            return None
        return {
            "number": int(got["number"]),
            "params": dict(got["params"]),
            "value": float(got["value"]),
            "predicted": float(got["predicted"]),
            "noise_sd": float(got["noiseSd"]),
        }

    @property
    def portfolio(self) -> Dict[str, Any]:
        """What the ``auto`` sampler learned: ``{"members", "points", "handover"}``. ``points``
        are its members' shares of the asks as the study went on (``{"trials", "weights"}``);
        ``handover`` says where and why it left its model phase for CMA-ES (``{"trial",
        "reason", "noise_share"}``, reason ``"rugged"``, ``"stalled"`` or ``"limit"``), ``None``
        before that. Empty points and no handover for other samplers."""
        got = self._client._transport.call("GET", "study.portfolio", {"studyId": self._require_id()}).data
        handover = got.get("handover")
        return {
            "members": list(got["members"]),
            "points": [{"trials": int(p["trials"]), "weights": dict(p["weights"])} for p in got["points"]],
            "handover": None
            if handover is None
            else {"trial": int(handover["trial"]), "reason": handover["reason"], "noise_share": handover["noiseShare"]},
        }

    @property
    def best_params(self) -> Dict[str, Any]:
        return self.best_trial.params

    @property
    def best_value(self) -> float:
        return self.best_trial.value  # type: ignore[return-value]

    @property
    def trials(self) -> List[FrozenTrial]:
        """Every trial of the study, by number (500 per request)."""
        study_id = self._require_id()
        out: List[FrozenTrial] = []
        cursor = None
        while True:
            payload: Dict[str, Any] = {"studyId": study_id, "limit": 500, "sort": {"by": "number", "dir": "asc"}}
            if cursor:
                payload["cursor"] = cursor
            page = self._client._transport.call("GET", "trial.list", payload).data
            out.extend(FrozenTrial(row) for row in page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                return out

    def trials_dataframe(self):  # -> pandas.DataFrame
        """The trials as a pandas DataFrame, with Optuna's columns (``params_<name>`` per parameter)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("trials_dataframe() needs pandas: pip install pandas") from None
        rows = []
        for t in self.trials:
            row: Dict[str, Any] = {
                "number": t.number,
                "value": t.value,
                "datetime_start": t.datetime_start,
                "datetime_complete": t.datetime_complete,
                "duration": t.duration,
                "state": t.state,
                "end_code": t.end_code,
                "end_reason": t.end_reason,
                "id": t.id,
            }
            for k, v in t.params.items():
                row["params_" + k] = v
            rows.append(row)
        return pd.DataFrame(rows)

    # -- optimize --------------------------------------------------------------------------

    def optimize(
        self,
        objective: Objective,
        n_trials: Optional[int] = None,
        timeout: Optional[float] = None,
        n_jobs: int = 1,
        catch: Union[Tuple[Type[BaseException], ...], Type[BaseException]] = (),
        callbacks: Optional[List[Callback]] = None,
        max_wait: float = DEFAULT_MAX_WAIT_S,
    ) -> Optional[FrozenTrial]:
        """Runs ``objective(trial)`` on trials the platform proposes; returns the study's best trial.

        Like Optuna's: ``n_trials`` in all (shared by the ``n_jobs`` threads), no new trial
        after ``timeout`` seconds; the loop also ends when the study does (``budget.max_trials``
        used up, or stopped). The objective returns the value, or raises ``TrialPruned`` (which
        ``trial.report`` does when the pruner says stop). Any other exception marks the trial
        failed with the exception as its reason and is raised again, unless it is one of
        ``catch``. Ctrl+C tells the running trials failed (with a reason) and raises
        ``KeyboardInterrupt``. Leases are renewed while objectives run; a dropped connection
        is retried with backoff, and a tell whose answer was lost is sent again and counted once.
        """
        if n_trials is not None and (not isinstance(n_trials, int) or n_trials < 0):
            raise ValueError("n_trials must be a whole number >= 0 (got %r)" % (n_trials,))
        if n_jobs == -1:
            n_jobs = max(1, int(self._spec.get("budget", {}).get("max_parallel", 4)))
        if not isinstance(n_jobs, int) or n_jobs < 1:
            raise ValueError("n_jobs must be >= 1, or -1 for budget.max_parallel (got %r)" % (n_jobs,))
        catch_types = catch if isinstance(catch, tuple) else (catch,)
        self._ensure_created(objective)
        max_parallel = self._spec.get("budget", {}).get("max_parallel")
        if max_parallel is not None and n_jobs > max_parallel:
            logger.warning(
                "study %r: n_jobs=%d but budget.max_parallel is %d: only %d trials run at a time",
                self.name, n_jobs, max_parallel, max_parallel,
            )
        state = _RunState(n_trials, timeout)
        best: Dict[str, Any] = {"trial": self._best_or_none()}
        args = (objective, state, catch_types, callbacks or [], max_wait, best)
        try:
            if n_jobs == 1:
                self._worker(*args)
            else:
                workers = [
                    threading.Thread(target=self._worker_guarded, args=args, name="autoglm-worker-%d" % i, daemon=True)
                    for i in range(n_jobs)
                ]
                for w in workers:
                    w.start()
                # join() with a timeout keeps the main thread interruptible by Ctrl+C.
                while any(w.is_alive() for w in workers):
                    for w in workers:
                        w.join(timeout=0.1)
        except KeyboardInterrupt:
            state.stop.set()
            self._fail_running(state, INTERRUPTED_REASON)
            logger.warning("study %r: interrupted; the running trials were told failed", self.name)
            raise
        if state.error is not None:
            raise state.error
        if state.ended_because:
            logger.info("study %r: %s", self.name, state.ended_because)
        return self._best_or_none()

    def _best_or_none(self) -> Optional[FrozenTrial]:
        try:
            return self.best_trial
        except ValueError:
            return None

    def _fail_running(self, state: _RunState, reason: str) -> None:
        with state.lock:
            running = list(state.running.values())
        for trial in running:
            try:
                trial.tell(state="failed", reason=reason)
            except AutoglmError:
                pass  # already finished on the platform's side, or unreachable: its lease will expire

    def _worker_guarded(self, *args: Any) -> None:
        state: _RunState = args[1]
        try:
            self._worker(*args)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread, which raises it
            with state.lock:
                if state.error is None:
                    state.error = e
            state.stop.set()

    def _ask_when_free(self, state: _RunState, max_wait: float) -> Optional[Trial]:
        deadline = time.monotonic() + max_wait
        delay = WAIT_FIRST_S
        while True:
            try:
                return self.ask()
            except AutoglmError as e:
                if e.code in STUDY_ENDED_CODES:
                    with state.lock:
                        state.ended_because = state.ended_because or "the study takes no more trials: %s" % e
                    state.stop.set()
                    return None
                if e.code != "MAX_PARALLEL_REACHED" or time.monotonic() + delay > deadline:
                    raise
            if state.stop.wait(delay):
                return None
            if state.deadline is not None and time.monotonic() >= state.deadline:
                return None
            delay = min(delay * 2, WAIT_MAX_S)

    def _worker(
        self,
        objective: Objective,
        state: _RunState,
        catch: Tuple[Type[BaseException], ...],
        callbacks: List[Callback],
        max_wait: float,
        best: Dict[str, Any],
    ) -> None:
        while state.claim():
            trial = self._ask_when_free(state, max_wait)
            if trial is None:
                state.give_back()
                return
            with state.lock:
                state.running[trial.id] = trial
            try:
                result = self._run_trial(trial, objective, catch, state)
            finally:
                with state.lock:
                    state.running.pop(trial.id, None)
            if result is None:
                continue
            with state.lock:
                state.results.append(result)
                # A multi-objective study has a Pareto set, not one best trial to log.
                single = len(self.directions) == 1
                if single and result.state == "complete" and _better(result, best["trial"], self.direction):
                    best["trial"] = result
                current_best = best["trial"]
            _log_trial(result, current_best)
            for cb in callbacks:
                cb(self, result)

    def _run_trial(
        self, trial: Trial, objective: Objective, catch: Tuple[Type[BaseException], ...], state: _RunState
    ) -> Optional[FrozenTrial]:
        base = {"id": trial.id, "number": trial.number, "params": trial.params}
        try:
            value = objective(trial)
        except TrialPruned as e:
            reason = trial.prune_reason or (str(e) if str(e) else None)
            self._tell_quietly(trial, state="pruned", reason=reason)
            return FrozenTrial(dict(base, state="pruned", endReason=reason))
        except AutoglmError as e:
            if e.code == "TRIAL_NOT_RUNNING" or e.code in STUDY_ENDED_CODES:
                # The platform ended the trial (a user stopped it or the study, or its lease
                # expired while we were cut off): there is nothing to tell. Move on.
                logger.warning("trial %d: %s", trial.number, e)
                if e.code in STUDY_ENDED_CODES:
                    state.stop.set()
                return FrozenTrial(dict(base, state="failed", endReason=str(e)))
            self._tell_quietly(trial, state="failed", reason="%s: %s" % (e.__class__.__name__, e))
            raise
        except KeyboardInterrupt:
            self._tell_quietly(trial, state="failed", reason=INTERRUPTED_REASON)
            raise
        except catch as e:  # type: ignore[misc]
            reason = "%s: %s" % (e.__class__.__name__, e)
            self._tell_quietly(trial, state="failed", reason=reason)
            logger.warning("trial %d failed: %s", trial.number, reason)
            return FrozenTrial(dict(base, state="failed", endReason=reason))
        except BaseException as e:
            self._tell_quietly(trial, state="failed", reason="%s: %s" % (e.__class__.__name__, e))
            raise
        try:
            # A sequence is one value per objective (a multi-objective study), as in Optuna.
            several = isinstance(value, (list, tuple))
            numbers = [to_finite_float(v, "the objective's return value %d" % i) for i, v in enumerate(value)] if several else None
            number = numbers[0] if numbers else to_finite_float(value, "the objective's return value")
        except (TypeError, ValueError, IndexError) as e:
            reason = "%s" % e
            self._tell_quietly(trial, state="failed", reason=reason)
            logger.warning("trial %d failed: %s", trial.number, reason)
            return FrozenTrial(dict(base, state="failed", endReason=reason))
        try:
            if numbers is not None:
                trial.tell(values=numbers)
            else:
                trial.tell(number)
        except AutoglmError as e:
            if e.code == "TRIAL_NOT_RUNNING" or e.code in STUDY_ENDED_CODES:
                logger.warning("trial %d: its value %r was not recorded: %s", trial.number, number, e)
                return FrozenTrial(dict(base, state="failed", endReason=str(e)))
            raise
        return FrozenTrial(dict(base, state="complete", value=number, values=numbers))

    def _tell_quietly(self, trial: Trial, *, state: str, reason: Optional[str]) -> None:
        try:
            trial.tell(state=state, reason=(reason or "")[:MAX_REASON] or None)
        except AutoglmError as e:
            # Already over on the platform's side, or the platform is unreachable: then the
            # lease expires and the sweeper fails the trial (LEASE_EXPIRED) instead.
            logger.debug("trial %d: could not tell %s: %s", trial.number, state, e)


def _better(a: FrozenTrial, b: Optional[FrozenTrial], direction: str) -> bool:
    if b is None or b.value is None:
        return True
    return a.value < b.value if direction == "minimize" else a.value > b.value  # type: ignore[operator]


def _log_trial(t: FrozenTrial, best: Optional[FrozenTrial]) -> None:
    tail = "" if best is None else " Best is trial %d with value: %s." % (best.number, best.value)
    if t.state == "complete":
        logger.info("Trial %d finished with value: %s and parameters: %s.%s", t.number, t.value, t.params, tail)
    elif t.state == "pruned":
        logger.info("Trial %d pruned. %s", t.number, t.end_reason or "")
    else:
        logger.info("Trial %d failed: %s", t.number, t.end_reason or "")


def _iso_to_unix(value: Any) -> Optional[float]:
    from .trial import _parse_iso

    d = _parse_iso(value)
    return None if d is None else d.timestamp()

