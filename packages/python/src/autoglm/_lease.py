"""Keeps the leases of a client's running trials alive while their objectives run.

A trial handed out by ``ask`` is leased for ``budget.lease_minutes``; each report renews the
lease, and one background thread renews it (``trial.renewLease``) for a trial that has not
reported for a third of the lease, so an objective with long epochs, or none, keeps its
trial. A lease is lost only when this process is (killed, or cut off for longer than a lease):
then the platform fails the trial with LEASE_EXPIRED and the study goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Callable, Dict, Optional

from .errors import AutoglmError

if TYPE_CHECKING:  # pragma: no cover
    from ._http import Transport

logger = logging.getLogger("autoglm")

# Renew at a third of the lease: two renewals can fail (a server restart, a network blip)
# before the lease runs out. Bounds keep a 10 min lease renewed every 2 min at most apart,
# and a test's 3 s lease not hammered more than 5 times a second.
RENEW_FRACTION = 1 / 3
MIN_INTERVAL_S = 0.2
MAX_INTERVAL_S = 120.0


class _Entry:
    __slots__ = ("due", "interval", "on_lost")

    def __init__(self, due: float, interval: float, on_lost: Callable[[AutoglmError], None]) -> None:
        self.due = due
        self.interval = interval
        self.on_lost = on_lost


class LeaseKeeper:
    def __init__(self, transport: "Transport") -> None:
        self._transport = transport
        self._entries: Dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: Optional[threading.Thread] = None

    @staticmethod
    def interval_for(lease_seconds: float) -> float:
        return min(max(lease_seconds * RENEW_FRACTION, MIN_INTERVAL_S), MAX_INTERVAL_S)

    def add(self, trial_id: str, lease_seconds: float, on_lost: Callable[[AutoglmError], None]) -> None:
        interval = self.interval_for(lease_seconds)
        with self._lock:
            self._entries[trial_id] = _Entry(time.monotonic() + interval, interval, on_lost)
            if self._thread is None or not self._thread.is_alive():
                # A daemon: a process that exits (Ctrl+C, sys.exit) is not held up by it.
                self._thread = threading.Thread(target=self._run, name="autoglm-lease-keeper", daemon=True)
                self._thread.start()
            self._wake.notify()

    def touched(self, trial_id: str) -> None:
        """A report renewed the lease: the next renewal is a full interval away."""
        with self._lock:
            e = self._entries.get(trial_id)
            if e is not None:
                e.due = time.monotonic() + e.interval

    def remove(self, trial_id: str) -> None:
        with self._lock:
            self._entries.pop(trial_id, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    if not self._entries:
                        # Idle keepers end; `add` starts a new one.
                        self._thread = None
                        return
                    now = time.monotonic()
                    due = [(tid, e) for tid, e in self._entries.items() if e.due <= now]
                    if due:
                        for _, e in due:
                            e.due = now + e.interval
                        break
                    self._wake.wait(timeout=min(e.due for e in self._entries.values()) - now)
            for trial_id, entry in due:
                self._renew(trial_id, entry)

    def _renew(self, trial_id: str, entry: _Entry) -> None:
        try:
            # Bounded by the interval: a renewal still failing when the next is due gives way to it.
            self._transport.call("POST", "trial.renewLease", {"trialId": trial_id}, retry=False)
        except AutoglmError as e:
            if e.code in ("TRIAL_NOT_RUNNING", "NOT_FOUND"):
                self.remove(trial_id)
                entry.on_lost(e)
            else:
                logger.warning("could not renew the lease of trial %s (%s); trying again in %.1f s", trial_id, e, entry.interval)
