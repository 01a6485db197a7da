"""The real platform for the Python tests (and the benchmark): `node apps/server/dist/main.js`
on a free loopback port with a database of its own (embedded PGlite in a temp directory, or a
fresh PostgreSQL database when DATABASE_URL is set), and a team, project and API token made
through the API as a person would: sign up, sign in, create a token.

Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
SERVER_JS = os.path.join(REPO, "apps", "server", "dist", "main.js")
CLI_JS = os.path.join(REPO, "packages", "sdk", "dist", "cli.js")
LOGS = os.path.join(REPO, "test-results", "logs")
NODE = shutil.which("node") or "node"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment without the developer's own AUTOGLM_* (they must not leak into a test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGLM_")}
    env.update(extra or {})
    return env


class Platform:
    def __init__(self, name: str = "python", server_env: Optional[Dict[str, str]] = None, database_url: Optional[str] = None) -> None:
        if not os.path.exists(SERVER_JS):
            raise RuntimeError("%s is missing: build the platform first (pnpm build, or npm test)" % SERVER_JS)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.data_dir = tempfile.mkdtemp(prefix="autoglm-py-")
        self._db_helper: Optional[subprocess.Popen] = None
        env = clean_env(
            {
                "NODE_ENV": "production",
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                "PUBLIC_URL": self.url,
                "AUTOGLM_DATA_DIR": self.data_dir,
                "AUTH_SECRET": secrets.token_urlsafe(32),
            }
        )
        env.update(server_env or {})
        base_url = database_url or os.environ.get("DATABASE_URL")
        if base_url:
            env["DATABASE_URL"] = self._fresh_database(base_url)
        else:
            env.pop("DATABASE_URL", None)
        os.makedirs(LOGS, exist_ok=True)
        self.log_path = os.path.join(LOGS, "python-server-%s.log" % name)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([NODE, SERVER_JS], cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_healthy()

    def _fresh_database(self, base_url: str) -> str:
        helper = os.path.join(os.path.dirname(__file__), "test-db.mjs")
        env = dict(os.environ, DATABASE_URL=base_url)
        self._db_helper = subprocess.Popen([NODE, helper], cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self._db_helper.stdout.readline() if self._db_helper.stdout else b""
        if not line:
            raise RuntimeError("could not create a test database on DATABASE_URL's server (see the output above)")
        return json.loads(line)["url"]

    def _wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    "the server exited with %s; the end of %s:\n%s" % (self.proc.returncode, self.log_path, self.log_tail(15))
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not become healthy within %d s; see %s" % (timeout, self.log_path))
            time.sleep(0.25)

    def log_tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # -- a team, as a person makes one ---------------------------------------------------------

    def create_team(self, email: str, team: str, scopes: Optional[List[str]] = None) -> "Team":
        password = secrets.token_urlsafe(16)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        _post_json(opener, self.url, "/api/trpc/auth.signUp", {"email": email, "password": password, "name": team, "teamName": team})
        with opener.open(self.url + "/api/auth/csrf", timeout=30) as r:
            csrf = json.load(r)["csrfToken"]
        form = urllib.parse.urlencode({"email": email, "password": password, "csrfToken": csrf, "json": "true", "callbackUrl": "/"}).encode()
        req = urllib.request.Request(
            self.url + "/api/auth/callback/credentials",
            data=form,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": self.url},
        )
        with opener.open(req, timeout=30) as r:
            r.read()
        # The new account's one team (sign-up answers the same whether or not the email was new).
        with opener.open(self.url + "/api/trpc/org.list", timeout=30) as r:
            orgs = json.load(r)["result"]["data"]
        if len(orgs) != 1:
            raise RuntimeError("expected the new account to have one team, it has %d" % len(orgs))
        org_id = orgs[0]["id"]
        created = _post_json(
            opener,
            self.url,
            "/api/trpc/token.create",
            {"name": "pytest", "scopes": scopes or ["read", "write"]},
            {"x-autoglm-org": org_id},
        )
        token = created["result"]["data"]["token"]
        return Team(self, org_id, token)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        if self._db_helper is not None:
            if self._db_helper.stdin:
                self._db_helper.stdin.close()
            try:
                self._db_helper.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._db_helper.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Team:
    def __init__(self, platform: Platform, org_id: str, token: str) -> None:
        self.platform = platform
        self.org_id = org_id
        self.token = token

    def call(self, method: str, procedure: str, payload: Any = None) -> Any:
        """A raw tRPC call with this team's token (the tests' own view of the platform)."""
        url = "%s/api/trpc/%s" % (self.platform.url, procedure)
        data = None
        if method == "GET":
            if payload is not None:
                url += "?" + urllib.parse.urlencode({"input": json.dumps(payload)})
        else:
            data = json.dumps(payload or {}).encode()
        req = urllib.request.Request(
            url, data=data, method=method, headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)["result"]["data"]

    def create_project(self, name: str) -> Dict[str, str]:
        return self.call("POST", "project.create", {"name": name})

    def env(self) -> Dict[str, str]:
        """AUTOGLM_SERVER / AUTOGLM_TOKEN for a child process, on a clean environment."""
        return clean_env({"AUTOGLM_SERVER": self.platform.url, "AUTOGLM_TOKEN": self.token})


def _post_json(opener: Any, base: str, path: str, body: Any, headers: Optional[Dict[str, str]] = None) -> Any:
    h = {"Content-Type": "application/json", "Origin": base}
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST", headers=h)
    try:
        with opener.open(req, timeout=30) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        # The body names the problem; it never holds the password or a token.
        raise RuntimeError("%s: HTTP %d %s" % (path, e.code, e.read()[:300].decode("utf-8", "replace"))) from None
