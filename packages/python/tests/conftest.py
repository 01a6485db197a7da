"""One real platform for the session (started by the suite itself), a team per test module,
and helpers to read what reached the server."""

from __future__ import annotations

import os
import sys
import uuid
from typing import Any, Dict, Iterator

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "support"))

from live_platform import Platform, Team  # noqa: E402


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    # Expired ask-leases are swept every 200 ms (5 s by default), so the lease tests see
    # LEASE_EXPIRED within a fraction of a second of a (shrunk, 3 s) lease running out.
    p = Platform("pytest", server_env={"ASK_SWEEP_INTERVAL_MS": "200"})
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="session")
def team(platform: Platform) -> Team:
    # One team for the session: sign-ups are limited per address (20 an hour, S6).
    tag = uuid.uuid4().hex[:8]
    return platform.create_team("pytest-%s@pytest.test" % tag, "Team %s" % tag)


@pytest.fixture()
def client(team: Team, monkeypatch: pytest.MonkeyPatch):
    import autoglm

    for k in list(os.environ):
        if k.startswith("AUTOGLM_"):
            monkeypatch.delenv(k)
    c = autoglm.Client(team.platform.url, team.token)
    yield c
    c.close()


@pytest.fixture(scope="module")
def project(team: Team, request: pytest.FixtureRequest) -> str:
    """A project per test module (its slug)."""
    tag = "%s-%s" % (request.module.__name__.rsplit(".", 1)[-1].replace("_", "-"), uuid.uuid4().hex[:6])
    return team.create_project("Tuning %s" % tag)["slug"]


def server_trials(team: Team, study_id: str) -> Dict[int, Dict[str, Any]]:
    """The study's trials as the server stores them, by number."""
    page = team.call("GET", "trial.list", {"studyId": study_id, "limit": 500})
    return {row["number"]: row for row in page["items"]}
