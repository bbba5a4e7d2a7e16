"""The render cache on disk, for command-line runs (`render`, `validate`, `sync --once`, `diff`): the next run
renders and serializes only the units whose inputs changed.

One file per entry under `$XDG_CACHE_HOME/gitops-ray/render/<code>/` (`<key>.unit`: the rendered unit,
pickled; `<key>.text`: its `rendered/` file), where `<code>` is a digest of gitops-ray's own installed files:
a cache entry is never read by other code than the code that wrote it (a development install changes
without a version bump). Entries are written atomically; an unreadable entry is a miss. The cache is
private to the user (a pickle is only ever read from the user's own cache directory); `trim` keeps the
`MAX_ENTRIES` most recently used entries and removes the directories of other code.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from gitops_ray.model.units import RenderedUnit

MAX_ENTRIES = 20_000


@functools.cache
def code_digest() -> str:
    """A digest of every file of the installed gitops_ray package (its code and its data)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json"):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def default_render_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitops-ray" / "render" / code_digest()


class DiskRenderCache:
    """`source.render_cache.RenderCache` in a directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str, suffix: str) -> Path:
        return self.directory / f"{key}.{suffix}"

    def _read(self, key: str, suffix: str) -> bytes | None:
        path = self._path(key, suffix)
        try:
            data = path.read_bytes()
            os.utime(path)  # recently used: kept by `trim`
        except OSError:
            return None
        return data

    def _write(self, key: str, suffix: str, data: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tempfile.NamedTemporaryFile(dir=self.directory, delete=False, suffix=".tmp") as temporary:
                temporary.write(data)
            os.replace(temporary.name, self._path(key, suffix))
        except OSError:
            return  # a cache that cannot be written only costs time

    def unit(self, key: str) -> RenderedUnit | None:
        data = self._read(key, "unit")
        try:
            unit = pickle.loads(data) if data is not None else None
        except Exception:  # a truncated or foreign file is a miss, never an error
            return None
        return unit if isinstance(unit, RenderedUnit) else None

    def store_unit(self, key: str, unit: RenderedUnit) -> None:
        self._write(key, "unit", pickle.dumps(unit, protocol=pickle.HIGHEST_PROTOCOL))

    def text(self, key: str) -> str | None:
        data = self._read(key, "text")
        try:
            return data.decode() if data is not None else None
        except UnicodeDecodeError:
            return None

    def store_text(self, key: str, text: str) -> None:
        self._write(key, "text", text.encode())

    def trim(self, keep: int = MAX_ENTRIES) -> None:
        """Delete all but the `keep` most recently used files, and the directories of other code."""
        with contextlib.suppress(OSError):
            for sibling in self.directory.parent.iterdir():
                if sibling != self.directory and sibling.is_dir() and len(sibling.name) == len(code_digest()):
                    shutil.rmtree(sibling, ignore_errors=True)
        try:
            entries = [entry for entry in os.scandir(self.directory) if entry.is_file()]
        except OSError:
            return
        if len(entries) <= keep:
            return
        entries.sort(key=lambda entry: entry.stat().st_mtime, reverse=True)
        for entry in entries[keep:]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
