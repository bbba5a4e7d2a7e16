"""The render cache: a unit whose inputs did not change is taken from it, with identical results."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from testkit import raycluster

from gitops_ray.edge.render_store import DiskRenderCache, code_digest, default_render_cache_dir
from gitops_ray.model.units import RenderedUnit, Unit, UnitKey
from gitops_ray.render.options import RenderOptions
from gitops_ray.report.files import rendered_files, unit_stream
from gitops_ray.source.desired import desired_state
from gitops_ray.source.render_cache import MemoryRenderCache, unit_cache_key

KEY = UnitKey("team-a", "demo")
CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}


def unit(**changes: object) -> Unit:
    base = Unit(KEY, "clusters/team-a/demo.yaml", raycluster("demo", "team-a"), document=0)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def write_repo(root: Path, clusters: dict[str, int]) -> Path:
    """clusters/team-a/<name>.yaml for each name with that many workers."""
    for name, workers in clusters.items():
        path = root / "clusters" / "team-a" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(raycluster(name, "team-a", workers=workers)))
    return root


def test_the_same_inputs_give_the_same_key() -> None:
    assert unit_cache_key(unit(), RenderOptions()) == unit_cache_key(unit(), RenderOptions())


@pytest.mark.parametrize(
    ("changed", "options"),
    [
        (unit(raycluster=raycluster("demo", "team-a", workers=3)), RenderOptions()),
        (unit(source="clusters/team-a/moved.yaml"), RenderOptions()),
        (unit(target="raycluster"), RenderOptions()),
        (
            unit(extras=({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},)),
            RenderOptions(),
        ),
        (unit(), RenderOptions(cluster_domain="example.internal")),
    ],
    ids=["document", "file", "target", "other documents", "render options"],
)
def test_every_input_is_part_of_the_key(changed: Unit, options: RenderOptions) -> None:
    assert unit_cache_key(changed, options) != unit_cache_key(unit(), RenderOptions())


def test_a_unit_that_cannot_be_written_as_json_has_no_key() -> None:
    binary = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": b"\x00"}}
    assert unit_cache_key(unit(extras=(binary,)), RenderOptions()) == ""


def test_an_unchanged_repository_is_rendered_from_the_cache(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": 2, "b": 1})
    cache = MemoryRenderCache()
    first = desired_state(root, cache=cache)
    again = desired_state(root, cache=cache)
    assert (first.rendered, again.rendered) == (2, 0)
    assert again == first == desired_state(root)


def test_one_changed_file_renders_one_unit(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": 2, "b": 1})
    cache = MemoryRenderCache()
    desired_state(root, cache=cache)
    write_repo(root, {"b": 3})
    changed = desired_state(root, cache=cache)
    assert changed.rendered == 1
    assert changed == desired_state(root)


def test_rendered_files_from_the_cache_are_the_same_bytes(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": 2})
    cache = MemoryRenderCache()
    state = desired_state(root, cache=cache)
    assert rendered_files(state, "rendered", cache) == rendered_files(state, "rendered", cache)
    assert rendered_files(state, "rendered", cache) == rendered_files(desired_state(root), "rendered")
    assert unit_stream(state.units[0], cache) == unit_stream(state.units[0])


def test_a_new_memory_cycle_forgets_what_the_last_one_did_not_use() -> None:
    cache = MemoryRenderCache()
    cache.store_unit("old", RenderedUnit(KEY, "a.yaml"))
    cache.cycle()
    cache.store_unit("new", RenderedUnit(KEY, "a.yaml"))
    cache.cycle()
    assert (cache.unit("old"), cache.unit("new")) == (None, RenderedUnit(KEY, "a.yaml"))


def test_a_memory_cycle_that_used_nothing_forgets_nothing() -> None:
    cache = MemoryRenderCache()
    cache.store_unit("kept", RenderedUnit(KEY, "a.yaml"))
    cache.cycle()
    cache.cycle()  # a skipped poll in between
    assert cache.unit("kept") == RenderedUnit(KEY, "a.yaml")


def test_the_disk_cache_reads_back_what_it_stored(tmp_path: Path) -> None:
    cache = DiskRenderCache(tmp_path / "render")
    stored = RenderedUnit(KEY, "a.yaml", objects=({"kind": "Pod", "metadata": {"name": "p"}},))
    cache.store_unit("k", stored)
    cache.store_text("k", "text\n")
    assert (cache.unit("k"), cache.text("k")) == (stored, "text\n")


def test_an_unreadable_disk_entry_is_a_miss(tmp_path: Path) -> None:
    cache = DiskRenderCache(tmp_path)
    (tmp_path / "k.unit").write_bytes(b"not a pickle")
    (tmp_path / "k.text").write_bytes(b"\xff\xfe")
    assert (cache.unit("k"), cache.text("k"), cache.unit("absent")) == (None, None, None)


def test_trim_keeps_the_most_recently_used_entries(tmp_path: Path) -> None:
    cache = DiskRenderCache(tmp_path)
    for index in range(4):
        cache.store_text(f"k{index}", "x")
        os.utime(tmp_path / f"k{index}.text", (1_000 + index, 1_000 + index))
    cache.trim(keep=2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["k2.text", "k3.text"]


def render(root: Path, cache_home: Path, *flags: str) -> bytes:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    command = [sys.executable, "-m", "gitops_ray", "render", str(root), *flags]
    return subprocess.run(command, env=env, capture_output=True, check=True, timeout=60).stdout


def test_render_prints_the_same_bytes_with_a_cold_cache_a_warm_one_and_none(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", {"a": 2, "b": 1})
    cold = render(root, tmp_path / "cache")
    assert any((tmp_path / "cache" / "gitops-ray" / "render").iterdir())
    assert render(root, tmp_path / "cache") == cold
    assert render(root, tmp_path / "other", "--no-cache") == cold
    assert not (tmp_path / "other").exists()


def test_the_disk_cache_belongs_to_the_code_that_wrote_it(tmp_path: Path) -> None:
    directory = default_render_cache_dir({"XDG_CACHE_HOME": str(tmp_path)})
    assert directory == tmp_path / "gitops-ray" / "render" / code_digest()
    older = directory.parent / ("0" * len(code_digest()))
    older.mkdir(parents=True)
    (older / "k.text").write_text("written by other code")
    DiskRenderCache(directory).trim()
    assert not older.exists()
