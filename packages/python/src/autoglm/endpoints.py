"""Inference endpoints: ``client.endpoints`` and ``client.deploy``.

An endpoint serves a model's alias (or a fixed version) on the team's agents at
``{server}/serve/{team}/{endpoint}``; requests carry ``Authorization: Bearer <key>`` with one of
the endpoint's keys (``agl_…``, shown once when created).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional

from ._http import Transport
from .errors import AutoglmError

__all__ = ["Endpoints"]


def _absolute(server: str, url: str) -> str:
    """The API gives a path when the server's PUBLIC_URL is unset: made absolute here."""
    return url if url.startswith(("http://", "https://")) else server.rstrip("/") + url


def _sizing(
    min_replicas: Optional[int],
    max_replicas: Optional[int],
    target_concurrency: Optional[float],
    scale_down_delay: Optional[float],
) -> Dict[str, Any]:
    """The endpoint.create/update/deploy fields for the sizing arguments given (the server checks their ranges)."""
    out: Dict[str, Any] = {}
    if min_replicas is not None:
        out["minReplicas"] = min_replicas
    if max_replicas is not None:
        out["maxReplicas"] = max_replicas
    autoscale: Dict[str, Any] = {}
    if target_concurrency is not None:
        autoscale["targetConcurrency"] = target_concurrency
    if scale_down_delay is not None:
        autoscale["scaleDownDelaySeconds"] = scale_down_delay
    if autoscale:
        out["autoscale"] = autoscale
    return out


class Endpoints:
    """``client.endpoints``: list, get, create, update, delete, keys, and waiting for a ready replica."""

    def __init__(self, transport: Transport, server: str) -> None:
        self._t = transport
        self._server = server

    def _with_url(self, e: Dict[str, Any]) -> Dict[str, Any]:
        return {**e, "url": _absolute(self._server, e["url"])}

    def list(self) -> List[Dict[str, Any]]:
        """The team's endpoints: ``[{name, model, alias, targetVersion, replicaCounts, url, …}]``."""
        return [self._with_url(e) for e in self._t.call("GET", "endpoint.list", None).data]

    def get(self, name: str) -> Dict[str, Any]:
        """One endpoint with ``replicas`` (state, agent, reason), ``revisions`` and ``keys`` (prefixes only)."""
        return self._with_url(self._t.call("GET", "endpoint.get", {"name": name}).data)

    def create(self, name: str, model: str, alias: Optional[str] = None, *, version: Optional[int] = None) -> Dict[str, Any]:
        """An endpoint following ``model@alias`` (default ``production``) or pinned to ``version``."""
        payload: Dict[str, Any] = {"name": name, "model": model}
        if alias is not None:
            payload["alias"] = alias
        if version is not None:
            payload["version"] = version
        return self._with_url(self._t.call("POST", "endpoint.create", payload, retry=False).data)

    def update(
        self,
        name: str,
        *,
        min_replicas: Optional[int] = None,
        max_replicas: Optional[int] = None,
        target_concurrency: Optional[float] = None,
        scale_down_delay: Optional[float] = None,
    ) -> Dict[str, Any]:
        """Changes the replicas (``min_replicas``..``max_replicas``, 0..16) and autoscaling: the
        autoscaler aims at ``target_concurrency`` in-flight requests per replica and drains replicas
        once the load stayed low for ``scale_down_delay`` seconds. Only the arguments given change;
        a value out of range raises ``AutoglmError`` naming the field and changes nothing."""
        change = _sizing(min_replicas, max_replicas, target_concurrency, scale_down_delay)
        if not change:
            raise AutoglmError(
                "nothing to change: give min_replicas, max_replicas, target_concurrency or scale_down_delay", code="BAD_REQUEST"
            )
        return self._with_url(self._t.call("POST", "endpoint.update", {"name": name, **change}, retry=False).data)

    def delete(self, name: str) -> None:
        """Deletes the endpoint: its keys stop working at once, its replicas drain."""
        self._t.call("POST", "endpoint.delete", {"name": name}, retry=False)

    def create_key(self, name: str, key_name: Optional[str] = None) -> Dict[str, Any]:
        """A new key for the endpoint: ``{id, key, prefix, expiresAt}``; ``key`` is shown this once."""
        payload: Dict[str, Any] = {"endpoint": name}
        if key_name is not None:
            payload["keyName"] = key_name
        return self._t.call("POST", "endpoint.keyCreate", payload, retry=False).data

    def revoke_key(self, name: str, key_id: str) -> None:
        """Revokes one of the endpoint's keys by id: its next request answers 401."""
        self._t.call("POST", "endpoint.keyRevoke", {"endpoint": name, "keyId": key_id}, retry=False)

    def wait_ready(
        self,
        name: str,
        version: int,
        *,
        timeout: float = 300.0,
        poll: float = 1.0,
        progress: Optional[Callable[[Dict[str, Any]], None]] = None,
    ) -> Dict[str, Any]:
        """Polls until a replica of ``version`` is ready; raises ``AutoglmError`` with the replica's
        reason when every replica of it failed (``REPLICA_FAILED``), or after ``timeout`` seconds (``TIMEOUT``)."""
        deadline = time.monotonic() + timeout
        while True:
            e = self.get(name)
            if progress is not None:
                progress(e)
            mine = [r for r in e["replicas"] if r["version"] == version]
            if any(r["state"] == "ready" for r in mine):
                return e
            live = any(r["state"] in ("pending", "starting") for r in mine)
            failed = next((r for r in mine if r["state"] == "failed"), None)
            if failed is not None and not live:
                reason = failed.get("reason") or "the replica failed"
                raise AutoglmError("endpoint %s: version %d failed to start: %s" % (name, version, reason), code="REPLICA_FAILED")
            if time.monotonic() >= deadline:
                raise AutoglmError(
                    "endpoint %s: no replica of version %d was ready within %d s (is an agent of the team online?)"
                    % (name, version, timeout),
                    code="TIMEOUT",
                )
            time.sleep(poll)

    def deploy(
        self,
        study_id: str,
        name: Optional[str] = None,
        *,
        wait: bool = True,
        timeout: float = 300.0,
        min_replicas: Optional[int] = None,
        max_replicas: Optional[int] = None,
        target_concurrency: Optional[float] = None,
        scale_down_delay: Optional[float] = None,
    ) -> Dict[str, Any]:
        """"Deploy best": registers the study's best trial (if it is not yet a version), points the
        model's ``production`` alias at it, creates or updates the endpoint and, unless
        ``wait=False``, waits for a ready replica. Returns ``{url, key, model, version, protocols,
        created, endpoint}``; ``key`` is new and shown this once (None when an existing endpoint moved).
        The sizing arguments are those of ``update``."""
        payload: Dict[str, Any] = {"studyId": study_id, **_sizing(min_replicas, max_replicas, target_concurrency, scale_down_delay)}
        if name is not None:
            payload["name"] = name
        # Not retried: a lost answer to a deploy that went through would make a second key.
        r = self._t.call("POST", "endpoint.deploy", payload, retry=False).data
        endpoint = self.wait_ready(r["endpoint"]["name"], r["version"], timeout=timeout) if wait else r["endpoint"]
        return {**r, "url": _absolute(self._server, r["url"]), "endpoint": self._with_url(endpoint)}
