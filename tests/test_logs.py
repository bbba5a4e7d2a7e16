"""Logs: one renderer for our lines and the libraries', at the configured level, with the cycle id bound;
and which written objects count as healed in a cycle's summary line."""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from gitops_ray.app.logs import LIBRARIES, RESPONSE_BODIES, configure_logging
from gitops_ray.model.refs import MemberRef
from gitops_ray.observe.outcome import healed_by
from gitops_ray.reconcile.assess import Standing
from gitops_ray.reconcile.plan import Action, PlannedAction


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A log stream configured by `configure_logging`; the test process's logging is restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in (*LIBRARIES, RESPONSE_BODIES)}
    out = io.StringIO()
    yield out
    root.handlers, root.level = handlers, level
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)
    logging.captureWarnings(False)
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line of the stream as JSON (fails on a line that is not)."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_library_lines_are_json_lines_like_ours(stream: io.StringIO) -> None:
    configure_logging("json", "info", stream)
    structlog.get_logger("gitops_ray.app.controller").info("controller.started", repo="r")
    logging.getLogger("apscheduler.scheduler").warning(
        'Execution of job "tick" skipped: maximum number of running instances reached (%d)', 1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("unverified HTTPS request", stacklevel=1)

    ours, scheduler, warning = lines(stream)
    assert (ours["event"], ours["level"], ours["logger"], ours["repo"]) == (
        "controller.started",
        "info",
        "gitops_ray.app.controller",
        "r",
    )
    assert (scheduler["event"], scheduler["level"], scheduler["logger"]) == (
        'Execution of job "tick" skipped: maximum number of running instances reached (1)',
        "warning",
        "apscheduler.scheduler",
    )
    assert (warning["level"], warning["logger"]) == ("warning", "py.warnings")
    assert "UserWarning: unverified HTTPS request" in warning["event"]


def test_every_line_has_a_utc_timestamp(stream: io.StringIO) -> None:
    configure_logging("json", "info", stream)
    structlog.get_logger("gitops_ray").info("x")
    logging.getLogger("urllib3.connectionpool").warning("y")
    assert [line["timestamp"].endswith("Z") for line in lines(stream)] == [True, True]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("debug", ["ours debug", "ours info", "ours warning", "library info", "library warning"]),
        ("info", ["ours info", "ours warning", "library warning"]),
        ("warning", ["ours warning", "library warning"]),
        ("error", []),
    ],
)
def test_the_level_filters_our_lines_and_keeps_library_info_lines_for_debug(
    stream: io.StringIO, level: str, expected: list[str]
) -> None:
    configure_logging("json", level, stream)
    ours = structlog.get_logger("gitops_ray.edge.cycle")
    ours.debug("ours debug")
    ours.info("ours info")
    ours.warning("ours warning")
    library = logging.getLogger("apscheduler.executors.default")
    library.info("library info")
    library.warning("library warning")
    assert [line["event"] for line in lines(stream)] == expected


def test_even_at_debug_the_kubernetes_clients_response_bodies_are_not_logged(stream: io.StringIO) -> None:
    configure_logging("json", "debug", stream)
    logging.getLogger("kubernetes.client.rest").debug("response body: %s", '{"data": {"token": "czNjcjN0"}}')
    logging.getLogger("kubernetes.client.rest").warning("a warning")
    assert [line["event"] for line in lines(stream)] == ["a warning"]


def test_lines_logged_inside_a_cycle_carry_its_id(stream: io.StringIO) -> None:
    configure_logging("json", "info", stream)
    log = structlog.get_logger("gitops_ray.edge.cycle")
    with structlog.contextvars.bound_contextvars(cycle="1f0c3a9e"):
        log.info("cycle.done")
        logging.getLogger("urllib3.connectionpool").warning("Retrying")
    log.info("controller.stopped")
    assert [(line["event"], line.get("cycle")) for line in lines(stream)] == [
        ("cycle.done", "1f0c3a9e"),
        ("Retrying", "1f0c3a9e"),
        ("controller.stopped", None),
    ]


def test_an_exception_is_one_json_line_with_its_traceback(stream: io.StringIO) -> None:
    configure_logging("json", "info", stream)
    try:
        raise ValueError("boom")
    except ValueError:
        structlog.get_logger("gitops_ray.app.http").warning("http.request_failed", exc_info=True)
    (line,) = lines(stream)
    assert line["event"] == "http.request_failed"
    assert "ValueError: boom" in line["exception"]


def test_a_library_exception_is_one_json_line_with_its_traceback(stream: io.StringIO) -> None:
    configure_logging("json", "info", stream)
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        logging.getLogger("apscheduler.executors.default").exception('Job "tick" raised an exception')
    (line,) = lines(stream)
    assert (line["event"], line["level"]) == ('Job "tick" raised an exception', "error")
    assert "ZeroDivisionError: division by zero" in line["exception"]


def test_the_console_format_is_one_readable_line(stream: io.StringIO) -> None:
    configure_logging("console", "info", stream)
    structlog.get_logger("gitops_ray").info("cycle.done", created=2)
    (line,) = stream.getvalue().splitlines()
    assert "cycle.done" in line and "created" in line and not line.startswith("{")


# --- healed -------------------------------------------------------------------------------------------

POD = MemberRef("v1", "Pod", "ml", "demo-head")


def change(action: Action, standing: Standing | None) -> PlannedAction:
    return PlannedAction(action, POD, "why", standing=standing)


@pytest.mark.parametrize(
    ("planned", "recorded", "unsent", "healed"),
    [
        (change(Action.CREATE, Standing.ABSENT), {POD}, set(), True),
        (change(Action.CREATE, Standing.ABSENT), set(), set(), False),
        (change(Action.UPDATE, Standing.EDITED), {POD}, set(), True),
        (change(Action.RECREATE, Standing.TERMINATED), {POD}, set(), True),
        (change(Action.RECREATE, Standing.TERMINATING), {POD}, set(), True),
        (change(Action.UPDATE, Standing.CHANGED), {POD}, set(), False),
        (change(Action.RECREATE, Standing.IMMUTABLE), {POD}, set(), False),
        (change(Action.PRUNE, None), {POD}, set(), False),
        (change(Action.UPDATE, Standing.EDITED), {POD}, {POD}, False),
    ],
    ids=[
        "deleted by someone",
        "new in git",
        "edited by someone",
        "pod stopped",
        "pod being deleted",
        "changed in git",
        "immutable change in git",
        "prune",
        "failed or pending",
    ],
)
def test_a_write_is_healed_when_it_repaired_drift_rather_than_carried_a_git_change(
    planned: PlannedAction, recorded: set[MemberRef], unsent: set[MemberRef], healed: bool
) -> None:
    assert healed_by([planned], frozenset(recorded), frozenset(unsent)) == (
        frozenset({POD}) if healed else frozenset()
    )
