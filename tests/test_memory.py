"""The controller caps glibc's malloc arenas at one: its threads take turns under the GIL anyway."""

from __future__ import annotations

import subprocess
import sys

from gitops_ray.app.memory import limit_malloc_arenas

# four threads alive at once, each allocating; then glibc's malloc_stats prints one "Arena N:" per arena
FOUR_ALLOCATING_THREADS = """
import ctypes, ctypes.util, sys, threading
from gitops_ray.app.memory import limit_malloc_arenas
if sys.argv[1] == "limit":
    assert limit_malloc_arenas({})
together = threading.Barrier(4)
def allocate():
    kept = [bytearray(100_000) for _ in range(8)] + [str(i) * 40 for i in range(2_000)]
    together.wait()
threads = [threading.Thread(target=allocate) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()
"""


def arenas_used(mode: str) -> int:
    command = [sys.executable, "-c", FOUR_ALLOCATING_THREADS, mode]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


def test_after_the_cap_all_threads_share_one_arena() -> None:
    assert arenas_used("limit") == 1


def test_without_the_cap_threads_get_arenas_of_their_own() -> None:
    assert arenas_used("default") > 1


def test_a_cap_the_operator_set_in_the_environment_is_left_alone() -> None:
    assert limit_malloc_arenas({"MALLOC_ARENA_MAX": "4"}) is False
