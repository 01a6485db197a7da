"""The wire: tRPC over plain JSON, on the standard library's ``http.client``.

Mutations are ``POST /api/trpc/<procedure>`` with the input as the body; queries are
``GET /api/trpc/<procedure>?input=<url-encoded JSON>``; the answer is
``{"result": {"data": …}}`` or ``{"error": {"message", "data": {"appCode", "userMessage"}}}``.

Why ``http.client`` and no dependency: the SDK needs one JSON request at a time per thread,
kept-alive connections and retries it decides itself; ``requests`` would bring four packages
(urllib3, idna, certifi, charset-normalizer) into every training environment for that. A
kept-alive connection matters: a trial is about a dozen requests (ask, reports, tell), and a
new TCP (and TLS) handshake for each would cost more than the platform's own work.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import random
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Optional, Tuple

from .errors import AutoglmError

logger = logging.getLogger("autoglm")

TRPC_PATH = "/api/trpc/"
USER_AGENT = "autoglm-python"

# Node's http server closes a kept-alive connection after 5 s idle (keepAliveTimeout). A
# request sent on a socket the server is closing is lost without an answer, so a connection
# idle for longer than this is replaced before use instead of being found dead.
IDLE_REUSE_S = 4.0

# Backoff between retries: 0.25 s doubling to 8 s, with ±25 % jitter so that n_jobs workers
# that lost the server together do not come back in lockstep.
BACKOFF_FIRST_S = 0.25
BACKOFF_MAX_S = 8.0

# Statuses worth another try: a proxy or load balancer between us and a restarting server
# (502/503/504), or the per-token rate limit (429, with Retry-After).
RETRY_STATUSES = (429, 502, 503, 504)
# A 500 is retried a few times only: a PostgreSQL restart gives a handful (R5), a bug gives
# one every time and should surface in seconds, not after the whole retry budget.
MAX_500_RETRIES = 3


def normalize_server(server: str) -> str:
    """``http://host:3000/`` and ``http://host:3000/api/trpc`` both become ``http://host:3000``."""
    raw = (server or "").strip()
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AutoglmError('server "%s" must be a URL starting with http:// or https://' % raw, code="CONFIG")
    if parts.username or parts.password:
        raise AutoglmError("put the token in token=, not in the server URL", code="CONFIG")
    path = parts.path.rstrip("/")
    if path.endswith("/api/trpc"):
        path = path[: -len("/api/trpc")]
    return "%s://%s%s" % (parts.scheme, parts.netloc, path)


class Response:
    __slots__ = ("data", "server_time")

    def __init__(self, data: Any, server_time: Optional[float]) -> None:
        self.data = data
        # The server's clock (the Date header) when it answered, as a Unix time; lease
        # lengths are measured against it, so a skewed local clock does not shorten them.
        self.server_time = server_time


class _Attempt(Exception):
    """One failed try: whether another is worth it, and whether the server may have acted."""

    def __init__(
        self, error: AutoglmError, retryable: bool, retry_after: Optional[float] = None, maybe_acted: bool = False
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after
        # The request went out and no answer came back: the server may have done it.
        self.maybe_acted = maybe_acted


class Transport:
    """One per client; each thread gets its own kept-alive connection."""

    def __init__(
        self,
        server: str,
        token: str,
        timeout: float = 30.0,
        retry_timeout: float = 120.0,
        ssl_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        self.server = normalize_server(server)
        token = (token or "").strip()
        if not token:
            raise AutoglmError("the token is empty", code="CONFIG")
        parts = urllib.parse.urlsplit(self.server)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path
        self._base = parts.path + TRPC_PATH
        self._ssl = ssl_context if ssl_context is not None else (ssl.create_default_context() if self._https else None)
        self._timeout = timeout
        self.retry_timeout = retry_timeout
        self._auth = "Bearer " + token
        self._local = threading.local()
        self._proxy = _proxy_for(parts.scheme, self._host)

    # -- connections ---------------------------------------------------------------------

    def _new_connection(self) -> http.client.HTTPConnection:
        if self._proxy is not None:
            p_host, p_port, p_auth = self._proxy
            headers = {"Proxy-Authorization": p_auth} if p_auth else None
            if self._https:
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    p_host, p_port, timeout=self._timeout, context=self._ssl
                )
                conn.set_tunnel(self._host, self._port, headers=headers)
            else:
                conn = http.client.HTTPConnection(p_host, p_port, timeout=self._timeout)
            return conn
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=self._ssl)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's kept-alive connection (a new one after IDLE_REUSE_S idle)."""
        conn = getattr(self._local, "conn", None)
        last = getattr(self._local, "last_used", 0.0)
        if conn is not None and time.monotonic() - last > IDLE_REUSE_S:
            conn.close()
            conn = None
        if conn is None:
            conn = self._new_connection()
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def close(self) -> None:
        """Closes this thread's connection (others close when their threads end)."""
        self._drop_connection()

    # -- one request ---------------------------------------------------------------------

    def _path(self, method: str, procedure: str, payload: Any) -> str:
        path = self._base + procedure
        if method == "GET" and payload is not None:
            path += "?" + urllib.parse.urlencode({"input": json.dumps(payload, allow_nan=False)})
        if self._proxy is not None and not self._https:
            # Through a plain-HTTP proxy the request line carries the absolute URL.
            path = "http://%s:%d%s" % (self._host, self._port, path)
        return path

    def _once(self, method: str, procedure: str, payload: Any) -> Response:
        body = None if method == "GET" else json.dumps(payload if payload is not None else {}, allow_nan=False).encode("utf-8")
        headers = {
            "Authorization": self._auth,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn = self._connection()
        sent = False
        try:
            conn.request(method, self._path(method, procedure, payload), body=body, headers=headers)
            sent = True
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as e:
            self._drop_connection()
            # Retried either way; a request that went out may have been carried out (its
            # answer lost), which only matters for the one call that is not idempotent.
            err = AutoglmError("cannot reach %s: %s" % (self.server, _describe_network_error(e)), code="UNREACHABLE")
            raise _Attempt(err, retryable=True, maybe_acted=sent) from None
        self._local.last_used = time.monotonic()
        if resp.getheader("Connection", "").lower() == "close":
            self._drop_connection()
        server_time = _parse_date(resp.getheader("Date"))
        status = resp.status
        parsed: Any = None
        try:
            parsed = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            parsed = None
        if 200 <= status < 300 and isinstance(parsed, dict) and isinstance(parsed.get("result"), dict):
            return Response(parsed["result"].get("data"), server_time)
        err = _error_from(status, parsed, self.server)
        retry_after = _parse_retry_after(resp.getheader("Retry-After"))
        raise _Attempt(err, retryable=status in RETRY_STATUSES or status == 500, retry_after=retry_after)

    # -- a file, streamed ----------------------------------------------------------------

    def open_stream(self, path: str) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """GETs a file route of the platform (``/api/models/…``) and returns the connection and
        the response, its body unread, for the caller to stream and then close.

        A connection of its own, not the thread's kept-alive one: a transfer the server cuts
        short (it does so for a file whose stored bytes changed) leaves a connection unusable.
        A refusal (``{"error": {"code", "message"}}``) raises an ``AutoglmError`` with them.
        """
        conn = self._new_connection()
        target = self._prefix + path
        if self._proxy is not None and not self._https:
            target = "http://%s:%d%s" % (self._host, self._port, target)
        try:
            conn.request("GET", target, headers={"Authorization": self._auth, "User-Agent": USER_AGENT})
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise AutoglmError("cannot reach %s: %s" % (self.server, _describe_network_error(e)), code="UNREACHABLE") from None
        if 200 <= resp.status < 300:
            return conn, resp
        raw = resp.read()
        conn.close()
        code, message = "HTTP_%d" % resp.status, "HTTP %d" % resp.status
        try:
            err = json.loads(raw.decode("utf-8")).get("error") or {}
            code, message = err.get("code") or code, err.get("message") or message
        except (UnicodeDecodeError, ValueError, AttributeError):
            pass  # not the platform's JSON (a proxy's page): the status says enough
        raise AutoglmError(str(message), code=str(code), status=resp.status)

    # -- with retries --------------------------------------------------------------------

    def call(
        self,
        method: str,
        procedure: str,
        payload: Any = None,
        *,
        retry: bool = True,
        on_resend: Optional[Callable[[AutoglmError], None]] = None,
    ) -> Response:
        """Sends one request; retries network failures and 429/5xx with backoff.

        Everything the SDK retries is safe to repeat on the platform (a report is idempotent
        per step, a tell of the same value is a no-op, a lease renewal only moves a time),
        except ``trial.ask``: ``on_resend`` is called before a retry of a request the server
        may have carried out (sent, and the answer lost).
        """
        deadline = time.monotonic() + (self.retry_timeout if retry else 0.0)
        delay = BACKOFF_FIRST_S
        errors_500 = 0
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(method, procedure, payload)
            except _Attempt as a:
                err = a.error
                if err.status == 500:
                    errors_500 += 1
                can_retry = a.retryable and retry and not (err.status == 500 and errors_500 > MAX_500_RETRIES)
                wait = a.retry_after if a.retry_after is not None else delay * random.uniform(0.75, 1.25)
                if not can_retry or time.monotonic() + wait > deadline:
                    raise err from None
                logger.debug("%s failed (%s); retry %d in %.2f s", procedure, err.message, attempt, wait)
                if a.maybe_acted and on_resend is not None:
                    on_resend(err)
                time.sleep(wait)
                delay = min(delay * 2, BACKOFF_MAX_S)


def _error_from(status: int, parsed: Any, server: str) -> AutoglmError:
    """The server's sentence (data.userMessage) and code, or the HTTP status when the body is not tRPC JSON."""
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        err = parsed["error"]
        data = err.get("data") if isinstance(err.get("data"), dict) else {}
        message = data.get("userMessage") or err.get("message") or "HTTP %d" % status
        code = data.get("appCode") or data.get("code")
        if status == 401:
            message = "token rejected by %s: %s" % (server, message)
        return AutoglmError(str(message), code=code, status=status)
    return AutoglmError(
        "unexpected response from %s (HTTP %d); is the server the Open-AutoGLM base URL?" % (server, status),
        code="BAD_RESPONSE",
        status=status,
    )


def _describe_network_error(e: BaseException) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "request timed out"
    if isinstance(e, socket.gaierror):
        return "host not found"
    if isinstance(e, ssl.SSLError):
        return "TLS error (%s)" % (e.reason or e.__class__.__name__)
    if isinstance(e, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
        return "connection dropped"
    return "%s: %s" % (e.__class__.__name__, e)


def _parse_date(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, min(float(value), 60.0))
    except ValueError:
        return None


def _proxy_for(scheme: str, host: str) -> Optional[Tuple[str, int, Optional[str]]]:
    """HTTP(S)_PROXY / NO_PROXY as urllib reads them: ``(host, port, Proxy-Authorization)``."""
    if urllib.request.proxy_bypass(host):
        return None
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy:
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    p = urllib.parse.urlsplit(proxy)
    auth = None
    if p.username:
        raw = "%s:%s" % (urllib.parse.unquote(p.username), urllib.parse.unquote(p.password or ""))
        auth = "Basic " + base64.b64encode(raw.encode("utf-8")).decode("ascii")
    return (p.hostname or "", p.port or 3128, auth)

