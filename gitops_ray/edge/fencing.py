"""Write fencing: one check that every cluster write and every push passes first.

A replica may write only while it certainly holds the leader Lease (and is not shutting down). The check
is a plain callable that raises `Fenced`; the Kubernetes edge calls it before every mutating request and
commit-back before every push, so no call site can forget it (client-go's leader election has the same
rule: stop acting once the renew deadline has passed, well before another replica may take over).
"""

from __future__ import annotations

from collections.abc import Callable


class Fenced(Exception):
    """This replica may not write now: its Lease could have expired, or it is stopping. The cycle aborts."""


WriteCheck = Callable[[], None]
"""Raises `Fenced` when writing is no longer allowed; returns None when it is."""


def unfenced() -> None:
    """The check of a process that writes alone (`sync --once`, a controller without leader election)."""
