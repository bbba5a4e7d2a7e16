"""The controller's HTTP endpoints: `/metrics` for Prometheus, `/healthz` and `/readyz` for the kubelet, and
`POST /hooks/git` for push notifications (`gitops_ray.app.webhook`) when a webhook secret is set."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gitops_ray.app.webhook import DELIVERY_HEADERS, PATH, SIGNATURE_HEADER, TOKEN_HEADER, Webhook

log = structlog.get_logger(__name__)

REQUEST_TIMEOUT_SECONDS = 10.0  # a client that stops sending mid-body frees its thread


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's listen backlog is 5: a burst of webhook deliveries and scrapes on a busy machine had
    # connections reset before a thread accepted them.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A failed request is one log line (the default prints a traceback into the log stream)."""
        log.warning("http.request_failed", client=str(client_address[0]), exc_info=True)


def serve_http(
    address: str,
    registry: CollectorRegistry,
    healthy: Callable[[], bool],
    ready: threading.Event,
    webhook: Webhook | None = None,
) -> ThreadingHTTPServer:
    """`/metrics` (Prometheus), `/healthz` (not hung), `/readyz` (first tick done) and, with `webhook`,
    `POST /hooks/git`, on a daemon thread."""
    host, _, port = address.rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT_SECONDS

        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                ok = healthy()
                self._reply(200 if ok else 503, b"ok\n" if ok else b"cycle hung\n")
            elif self.path == "/readyz":
                ok = ready.is_set()
                self._reply(200 if ok else 503, b"ok\n" if ok else b"starting\n")
            else:
                self._reply(404, b"not found\n")

        def do_POST(self) -> None:
            if webhook is None or urlsplit(self.path).path != PATH:
                self.close_connection = True  # the body is left unread
                self._reply(404, b"not found\n")
                return
            length = self.headers.get("Content-Length")
            reply = webhook.handle(
                self.headers.get(SIGNATURE_HEADER),
                self.headers.get(TOKEN_HEADER),
                self.rfile,
                int(length) if length and length.isdigit() else None,
            )
            self.close_connection = True  # a refused body may be left unread
            delivery = next((self.headers[h] for h in DELIVERY_HEADERS if self.headers.get(h)), None)
            (log.info if reply.status == 202 else log.warning)(
                "webhook.accepted" if reply.status == 202 else "webhook.refused",
                status=reply.status,
                reason=reply.reason,
                delivery=delivery,
                client=self.client_address[0],
            )
            self._reply(reply.status, reply.body)

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # probes every few seconds are not news; webhook deliveries are logged above

    server = _Server((host.strip("[]"), int(port)), Handler)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
