"""The client: one per program, authenticated with an API token."""

from __future__ import annotations

import os
import re
import ssl
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from ._http import Transport
from ._lease import LeaseKeeper
from .config import resolve_config
from .errors import AutoglmError, DuplicatedStudyError
from .endpoints import Endpoints
from .models import Models
from .space import space_to_spec
from .study import Study

__all__ = ["Client"]

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

SamplerArg = Union[str, Mapping[str, Any], None]


def _named(value: SamplerArg, what: str) -> Optional[Dict[str, Any]]:
    if value is None:
        return None
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, Mapping) and "name" in value:
        return dict(value)
    raise TypeError("%s must be a name like 'asha' or a mapping {'name': 'asha', ...} (got %r)" % (what, value))


class Client:
    """Talks to an Open-AutoGLM server.

    ``server`` and ``token`` default to ``AUTOGLM_SERVER`` / ``AUTOGLM_TOKEN``, then to the
    file ``autoglm login`` writes. ``timeout`` bounds one request; ``retry_timeout`` is how
    long a call keeps retrying a dropped connection or a restarting server before it raises.
    """

    def __init__(
        self,
        server: Optional[str] = None,
        token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        retry_timeout: float = 120.0,
        ssl_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        server, token = resolve_config(server, token)
        self._transport = Transport(server, token, timeout=timeout, retry_timeout=retry_timeout, ssl_context=ssl_context)
        self._leases = LeaseKeeper(self._transport)
        #: The model registry: ``client.models.register(trial_id, name)``, ``.download("models:/m@champion", dir)``, …
        self.models = Models(self._transport)
        #: Inference endpoints: ``client.endpoints.list()``, ``.get(name)``, ``.create_key(name)``, …
        self.endpoints = Endpoints(self._transport, self._transport.server)

    @property
    def server(self) -> str:
        return self._transport.server

    def __repr__(self) -> str:
        # Never the token.
        return "autoglm.Client(server=%r)" % self.server

    def deploy(self, study_id: str, name: Optional[str] = None, *, wait: bool = True, timeout: float = 300.0, **sizing: Any) -> Dict[str, Any]:
        """"Deploy best" of a study: ``{url, key, model, version, protocols, …}`` once a replica is
        ready (``client.endpoints.deploy``; ``key`` is shown this once). ``sizing``: ``min_replicas``,
        ``max_replicas``, ``target_concurrency``, ``scale_down_delay`` (see ``client.endpoints.update``)."""
        return self.endpoints.deploy(study_id, name, wait=wait, timeout=timeout, **sizing)

    # -- projects --------------------------------------------------------------------------

    def projects(self) -> List[Dict[str, Any]]:
        """The team's projects: ``[{id, name, slug, description, studyCount, createdAt}]``."""
        return self._transport.call("GET", "project.list").data

    def create_project(self, name: str, description: Optional[str] = None) -> Dict[str, Any]:
        """Creates a project; returns ``{id, slug}``."""
        payload: Dict[str, Any] = {"name": name}
        if description:
            payload["description"] = description
        return self._transport.call("POST", "project.create", payload).data

    def resolve_project(self, project: Optional[str] = None) -> str:
        """A project slug or id → its id. Without one: ``AUTOGLM_PROJECT``, else the team's only project."""
        project = project or os.environ.get("AUTOGLM_PROJECT") or None
        rows = self.projects()
        if project is None:
            if len(rows) == 1:
                return rows[0]["id"]
            raise AutoglmError(
                "say which project: project=... or AUTOGLM_PROJECT (the team has %s)"
                % (", ".join(r["slug"] for r in rows) or "no projects; create one with client.create_project(name)"),
                code="USAGE",
            )
        for r in rows:
            if project in (r["id"], r["slug"]):
                return r["id"]
        if _UUID.match(project):
            return project  # the server answers NOT_FOUND exactly as for someone else's project
        known = ", ".join(r["slug"] for r in rows[:10])
        raise AutoglmError(
            'no project "%s" in this team%s' % (project, " (projects: %s)" % known if known else ""), code="PROJECT_NOT_FOUND"
        )

    # -- studies ---------------------------------------------------------------------------

    def _get_study(self, study_id: str) -> Dict[str, Any]:
        return self._transport.call("GET", "study.get", {"studyId": study_id}).data

    def _apply_spec(
        self, project_id: str, spec: Optional[Mapping[str, Any]] = None, *, yaml: Optional[str] = None,
        if_exists: str = "resume", name: Optional[str] = None,
    ) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"projectId": project_id, "ifExists": if_exists}
        if yaml is not None:
            payload["yaml"] = yaml
        else:
            payload["spec"] = dict(spec or {})
        if name is not None:
            payload["name"] = name
        try:
            applied = self._transport.call("POST", "study.applySpec", payload).data
        except AutoglmError as e:
            if e.code == "STUDY_EXISTS":
                raise DuplicatedStudyError(e.message + " Pass load_if_exists=True to resume it.", code=e.code, status=e.status) from None
            raise
        study = self._get_study(applied["id"])
        return {"id": applied["id"], "created": applied["created"], "spec": study["spec"], "notApplied": applied["notApplied"]}

    def create_study(
        self,
        project: Optional[str] = None,
        name: Optional[str] = None,
        direction: str = "minimize",
        space: Optional[Mapping[str, Any]] = None,
        *,
        metric: str = "objective",
        directions: Optional[Sequence[str]] = None,
        metrics: Optional[Sequence[str]] = None,
        constraints: Optional[Sequence[Mapping[str, Any]]] = None,
        sampler: SamplerArg = "auto",
        pruner: SamplerArg = None,
        max_trials: Optional[int] = None,
        max_parallel: Optional[int] = None,
        lease_minutes: Optional[float] = None,
        budget: Optional[Mapping[str, Any]] = None,
        description: Optional[str] = None,
        load_if_exists: bool = False,
    ) -> Study:
        """Creates a study (or, with ``load_if_exists=True``, resumes the project's study of that
        name when its space and objective are the same; a changed space raises and names the
        difference).

        ``space`` maps names to ``autoglm.Float/Int/Categorical`` (or the YAML spec's mappings).
        Without it the study is created by the first ``optimize``, from the objective's
        ``trial.suggest_*`` calls (define-by-run). ``sampler`` defaults to ``auto``; ``pruner``
        (``asha``, ``median``, ``hyperband``, … or ``{"name": "asha", "minResource": 2}``) to none.
        ``max_trials`` (default 100) and ``max_parallel`` (default 4) are the study's budget.
        ``directions=["minimize", "minimize"]`` (with ``metrics=[...]`` naming each) makes a
        multi-objective study (Optuna's ``directions``); ``constraints=[{"metric": "memory_gb",
        "max": 16}]`` bounds other metrics (a trial outside is kept, infeasible, never best).
        """
        if not name:
            raise ValueError("create_study needs a name (the dashboard lists studies by name)")
        spec: Dict[str, Any] = {"name": name, **_objectives_spec(direction, metric, directions, metrics)}
        if constraints:
            spec["constraints"] = [dict(c) for c in constraints]
        project_id = self.resolve_project(project)
        if description:
            spec["description"] = description
        s = _named(sampler, "sampler")
        if s is not None:
            spec["sampler"] = s
        p = _named(pruner, "pruner")
        if p is not None:
            spec["pruner"] = p
        b: Dict[str, Any] = dict(budget or {})
        for key, value in (("max_trials", max_trials), ("max_parallel", max_parallel), ("lease_minutes", lease_minutes)):
            if value is not None:
                b[key] = value
        if b:
            spec["budget"] = b
        if_exists = "resume" if load_if_exists else "error"
        if space is None:
            if load_if_exists:
                found = self._find_study(project_id, name)
                if found is not None:
                    return found
            # Created by the first optimize(), once the objective's suggest_* calls are known.
            return Study(self, None, name, spec, project_id, if_exists=if_exists)
        spec["space"] = space_to_spec(space)
        applied = self._apply_spec(project_id, spec, if_exists=if_exists)
        return Study(self, applied["id"], name, applied["spec"], project_id)

    def _find_study(self, project_id: str, name: str) -> Optional[Study]:
        rows = [r for r in self._transport.call("GET", "study.list", {"projectId": project_id}).data if r["name"] == name]
        if not rows:
            return None
        newest = max(rows, key=lambda r: r["createdAt"])
        return self.load_study(newest["id"])

    def load_study(self, study_id: Optional[str] = None, *, project: Optional[str] = None, name: Optional[str] = None) -> Study:
        """An existing study, by id or by ``project`` and ``name`` (the newest of that name)."""
        if study_id is None:
            if not name:
                raise ValueError("load_study needs a study id, or name= (and project=)")
            found = self._find_study(self.resolve_project(project), name)
            if found is None:
                raise AutoglmError('no study named "%s" in that project' % name, code="STUDY_NOT_FOUND")
            return found
        s = self._get_study(study_id)
        return Study(self, s["id"], s["name"], s["spec"], s["projectId"])

    def apply(self, path_or_yaml: str, project: Optional[str] = None, *, name: Optional[str] = None) -> Study:
        """Config as code from Python: the study in a YAML file (or YAML text), created or resumed
        like ``autoglm study apply -f FILE --project P``."""
        text = path_or_yaml
        if "\n" not in path_or_yaml and os.path.exists(path_or_yaml):
            with open(path_or_yaml, encoding="utf-8") as f:
                text = f.read()
        project_id = self.resolve_project(project)
        applied = self._apply_spec(project_id, yaml=text, name=name)
        spec = applied["spec"]
        return Study(self, applied["id"], spec["name"], spec, project_id)

    def studies(self, project: Optional[str] = None, state: Optional[str] = None) -> List[Dict[str, Any]]:
        """The team's studies (``[{id, name, state, trialCount, completeCount, bestValue, …}]``)."""
        payload: Dict[str, Any] = {}
        if project:
            payload["projectId"] = self.resolve_project(project)
        if state:
            payload["state"] = state
        return self._transport.call("GET", "study.list", payload).data

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _objectives_spec(
    direction: str, metric: str, directions: Optional[Sequence[str]], metrics: Optional[Sequence[str]]
) -> Dict[str, Any]:
    """The spec's ``objective``, or its ``objectives`` when ``directions`` lists several."""
    for d in [direction, *(directions or [])]:
        if d not in ("minimize", "maximize"):
            raise ValueError('direction must be "minimize" or "maximize" (got %r)' % (d,))
    if directions is None:
        return {"objective": {"metric": metric, "direction": direction}}
    names = list(metrics) if metrics is not None else ["objective_%d" % i for i in range(len(directions))]
    if len(names) != len(directions):
        raise ValueError("metrics names %d objectives, directions %d" % (len(names), len(directions)))
    return {"objectives": [{"metric": m, "direction": d} for m, d in zip(names, directions)]}
