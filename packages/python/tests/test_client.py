"""The client: where the server and token come from, what a wrong token or an unreachable
server says, and that the token never shows."""

from __future__ import annotations

import json
import logging
import socket

import pytest

import autoglm
from autoglm.config import resolve_config


def test_config_from_arguments_environment_then_the_cli_file(tmp_path, team, monkeypatch):
    for k in ("AUTOGLM_SERVER", "AUTOGLM_TOKEN", "AUTOGLM_CONFIG", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(k, raising=False)
    stored = tmp_path / "config.json"
    # What `autoglm login` writes.
    stored.write_text(json.dumps({"server": team.platform.url + "/api/trpc", "token": team.token}))
    monkeypatch.setenv("AUTOGLM_CONFIG", str(stored))
    assert resolve_config() == (team.platform.url + "/api/trpc", team.token)
    c = autoglm.Client()
    assert c.server == team.platform.url
    assert isinstance(c.projects(), list)
    monkeypatch.setenv("AUTOGLM_SERVER", "http://example.invalid:1")
    assert resolve_config()[0] == "http://example.invalid:1"
    assert resolve_config(server="http://127.0.0.1:9")[0] == "http://127.0.0.1:9"

    monkeypatch.setenv("AUTOGLM_CONFIG", str(tmp_path / "missing.json"))
    monkeypatch.delenv("AUTOGLM_SERVER")
    with pytest.raises(autoglm.AutoglmError, match=r"no server and token configured: .*autoglm login") as e:
        autoglm.Client()
    assert e.value.code == "CONFIG"


def test_a_wrong_token_is_named_and_never_shown(team):
    bad = "agl_" + "x" * 38
    c = autoglm.Client(team.platform.url, bad, retry_timeout=2)
    with pytest.raises(autoglm.AutoglmError) as e:
        c.projects()
    assert e.value.is_auth_error
    assert str(e.value).startswith("token rejected by %s: " % team.platform.url)
    assert bad not in str(e.value) and bad not in repr(e.value) and bad not in repr(c)
    assert team.token not in repr(autoglm.Client(team.platform.url, team.token))


def test_an_unreachable_server_retries_then_says_so(team):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = autoglm.Client("http://127.0.0.1:%d" % port, team.token, retry_timeout=1.5)
    retries = []

    class Count(logging.Handler):
        def emit(self, record):
            if "failed (" in record.getMessage():
                retries.append(record.getMessage())

    log = logging.getLogger("autoglm")
    handler, level = Count(), log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        with pytest.raises(autoglm.AutoglmError, match=r"cannot reach http://127.0.0.1:\d+: connection refused") as e:
            c.projects()
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    assert e.value.code == "UNREACHABLE"
    # It retried with backoff (0.25 s, 0.5 s, …) within its 1.5 s budget before giving up.
    assert len(retries) >= 2 and "retry 1 in" in retries[0]


def test_a_bad_server_url_is_a_config_error(team):
    with pytest.raises(autoglm.AutoglmError, match="must be a URL starting with http"):
        autoglm.Client("127.0.0.1:3000", team.token)
    with pytest.raises(autoglm.AutoglmError, match="not in the server URL"):
        autoglm.Client("http://user:pw@127.0.0.1:3000", team.token)


def test_a_project_is_named_by_slug_or_id_and_an_unknown_one_lists_the_others(client, project):
    pid = client.resolve_project(project)
    assert client.resolve_project(pid) == pid
    with pytest.raises(autoglm.AutoglmError, match=r'no project "nope" in this team \(projects: .*%s' % project) as e:
        client.resolve_project("nope")
    assert e.value.code == "PROJECT_NOT_FOUND"


def test_create_study_validates_before_sending(client, project):
    with pytest.raises(ValueError, match="low > 0"):
        autoglm.Float(0, 1, log=True)
    with pytest.raises(ValueError, match='direction must be "minimize" or "maximize"'):
        client.create_study(project=project, name="x", direction="min", space={"x": autoglm.Float(0, 1)})
    with pytest.raises(autoglm.AutoglmError, match=r"sampler.name") as e:
        client.create_study(project=project, name="x", space={"x": autoglm.Float(0, 1)}, sampler="bogus")
    assert e.value.status == 400
