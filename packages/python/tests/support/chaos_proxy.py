"""A TCP proxy in front of the platform that loses things on purpose.

- ``drop_response(procedure, times)``: the next ``times`` requests to that tRPC procedure
  reach the server, and their answers are thrown away with the connection (the client sees
  the connection drop after sending: the case where a retry must not double anything).
- ``outage(seconds)``: every connection is cut and new ones are refused for that long (a
  server restart, a network blip).

The SDK sends one request at a time on a connection, so the answer that follows a request
on the same connection is that request's answer.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Dict, List, Optional


class ChaosProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self._lock = threading.Lock()
        self._drops: Dict[str, int] = {}
        self.dropped: List[str] = []
        self._down_until = 0.0
        self._conns: List[socket.socket] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_response(self, procedure: str, times: int = 1) -> None:
        with self._lock:
            self._drops[procedure] = self._drops.get(procedure, 0) + times

    def outage(self, seconds: float) -> None:
        with self._lock:
            self._down_until = time.monotonic() + seconds
            conns, self._conns = self._conns, []
        for c in conns:
            _close(c)

    def close(self) -> None:
        self._closed = True
        _close(self._listener)
        self.outage(0)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._down_until:
                # Refused as a stopped server would: a reset, no answer.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._conns += [client, upstream]
            state = {"drop_next_answer": None}
            threading.Thread(target=self._pump_requests, args=(client, upstream, state), daemon=True).start()
            threading.Thread(target=self._pump_answers, args=(upstream, client, state), daemon=True).start()

    def _pump_requests(self, src: socket.socket, dst: socket.socket, state: Dict[str, Optional[str]]) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                head = data[:300].decode("latin-1")
                if head.startswith(("POST /api/trpc/", "GET /api/trpc/")):
                    procedure = head.split(" ", 2)[1][len("/api/trpc/") :].split("?", 1)[0]
                    with self._lock:
                        if self._drops.get(procedure, 0) > 0:
                            self._drops[procedure] -= 1
                            state["drop_next_answer"] = procedure
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(dst)

    def _pump_answers(self, src: socket.socket, dst: socket.socket, state: Dict[str, Optional[str]]) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dropped = state.get("drop_next_answer")
                if dropped:
                    with self._lock:
                        self.dropped.append(dropped)
                    break  # the server answered; the client never hears it
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(dst)
            _close(src)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
