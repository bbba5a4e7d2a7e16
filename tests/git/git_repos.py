"""Helpers for the git tests: run git as a user, user clones, child-process counting, a smart-HTTP server.

The HTTP server runs `git http-backend` (CGI) behind Python's http.server on 127.0.0.1 and requires HTTP
basic auth, so the network path and token authentication are exercised exactly as git uses them.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from testkit import GIT_ENV

from gitops_ray.edge.git import Timeouts

FAST_TIMEOUTS = Timeouts(network=20, local=20, low_speed=10, connect=5)
# A minimal valid RayCluster for the cycle and CLI tests (clusters/team-a/a.yaml).
RAYCLUSTER_A = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: a, namespace: team-a}
spec:
  headGroupSpec:
    template: {spec: {containers: [{name: ray, image: rayproject/ray:2.53.0}]}}
"""
TOKEN_USER = "robot"
TOKEN = "s3cr3t-t0ken-value"


def _run(cwd: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, timeout=60
    )


def git(cwd: Path, *args: str) -> str:
    """Run git as a user would (not through gitops-ray) and return its stdout."""
    result = _run(cwd, args)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def git_status(cwd: Path, *args: str) -> int:
    return _run(cwd, args).returncode


@dataclass
class UserClone:
    """A person's clone of the remote: edit files, commit, push (rebasing when the remote moved)."""

    path: Path

    def write(self, name: str, text: str) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def remove(self, name: str) -> None:
        (self.path / name).unlink()

    def commit(self, message: str) -> str:
        git(self.path, "add", "--all")
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", message)
        return self.head()

    def push(self, branch: str = "main") -> None:
        git(self.path, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")

    def push_rebasing(self, branch: str = "main") -> int:
        """Push, pulling with rebase while the remote moved meanwhile; returns the rejections seen."""
        for rejections in range(100):
            if git_status(self.path, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}") == 0:
                return rejections
            self.pull(branch)
        raise AssertionError("the remote never stopped moving")

    def pull(self, branch: str = "main") -> None:
        git(self.path, "pull", "--quiet", "--rebase", "origin", branch)

    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD")

    def remote_head(self, branch: str = "main") -> str:
        return git(self.path, "ls-remote", "origin", f"refs/heads/{branch}").split("\t")[0]

    def tag(self, name: str) -> None:
        git(self.path, "tag", name)
        git(self.path, "push", "--quiet", "origin", f"refs/tags/{name}")


def init_remote(path: Path) -> Path:
    git(path.parent, "init", "--quiet", "--bare", "--initial-branch=main", path.name)
    return path


def child_processes() -> list[str]:
    """Live (and zombie) child processes of this test process, as `pid command`."""
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if rest[1] == me:
            found.append(f"{entry.name} {command} ({rest[0]})")
    return found


class _GitHttpHandler(BaseHTTPRequestHandler):
    """Smart HTTP: basic auth against (TOKEN_USER, TOKEN), then `git http-backend` as a CGI."""

    server: _GitHttpServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        self.server.requests.append(self.requestline)

    def _serve(self) -> None:
        expected = "Basic " + base64.b64encode(f"{TOKEN_USER}:{TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": TOKEN_USER,
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        body = self._body()
        env["CONTENT_LENGTH"] = str(len(body))
        result = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60)
        header_blob, _, payload = result.stdout.partition(b"\r\n\r\n")
        headers = [line.split(":", 1) for line in header_blob.decode().split("\r\n") if ":" in line]
        status = next((int(value.split()[0]) for name, value in headers if name.lower() == "status"), 200)
        self.send_response(status)
        for name, value in headers:
            if name.lower() != "status":
                self.send_header(name, value.strip())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()


class _GitHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _GitHttpHandler)
        self.root = root
        self.requests: list[str] = []


@dataclass
class HttpRemote:
    """A bare repo served over smart HTTP on 127.0.0.1; `stop()`/`start()` take it down and back up."""

    root: Path
    name: str
    port: int = 0
    server: _GitHttpServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.name}"

    @property
    def authenticated_url(self) -> str:
        return f"http://{TOKEN_USER}:{TOKEN}@127.0.0.1:{self.port}/{self.name}"

    def requests(self) -> list[str]:
        return self.server.requests if self.server else []

    def start(self) -> None:
        self.server = _GitHttpServer(self.root, self.port)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
