"""A TCP proxy on 127.0.0.1 that can cut one client off the API server, as a network partition would.

`cut()` closes every forwarded connection and blackholes new ones: they are accepted (the client's
connect succeeds) but nothing is read from or sent to them, so requests hang until the client's own
timeouts fire. Nothing received while cut is ever forwarded: `restore()` closes the held connections and
forwards new ones again. TLS passes through untouched (the API server's certificate names 127.0.0.1).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class TcpProxy:
    """Forwards `127.0.0.1:port` to `127.0.0.1:target_port` until closed; use as a context manager."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # the accept loop notices `close()` within this
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()  # cut/restore and every forwarded chunk: a cut is atomic
        self._live: set[socket.socket] = set()
        self._held: list[socket.socket] = []
        self._cut = False
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name=f"proxy-{self.port}", daemon=True)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def cut(self) -> None:
        """Drop every open connection; from now on, hold new ones without forwarding a byte."""
        with self._lock:
            self._cut = True
            for sock in self._live:
                _close(sock)
            self._live.clear()

    def restore(self) -> None:
        """Forward new connections again; those held while cut are closed, never forwarded."""
        with self._lock:
            self._cut = False
            for sock in self._held:
                _close(sock)
            self._held.clear()

    def close(self) -> None:
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join()
        self._listener.close()
        self.cut()
        self.restore()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            client.settimeout(None)
            with self._lock:
                if self._cut:
                    self._held.append(client)
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)  # the API server itself is down: refuse as it would
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._cut:  # cut while connecting
                    _close(upstream)
                    self._held.append(client)
                    continue
                self._live.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                with self._lock:
                    if not data or source not in self._live:
                        break
                    sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            for sock in (source, sink):
                self._live.discard(sock)
                _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
