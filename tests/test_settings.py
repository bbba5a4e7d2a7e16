"""Controller settings: defaults < file < GITOPS_RAY_* environment < flags, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ray.app.settings import ControllerSettings, SettingsError, env_name, file_key, load_settings


def test_names_derive_from_one_table() -> None:
    assert (env_name("resync_interval"), file_key("resync_interval")) == (
        "GITOPS_RAY_RESYNC_INTERVAL",
        "resyncInterval",
    )


def test_each_layer_overrides_the_one_below(tmp_path: Path) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("repo: https://git.example/a.git\ninterval: 30\nheal: false\nref: from-file\n")
    settings = load_settings(
        config,
        {"GITOPS_RAY_INTERVAL": "45", "GITOPS_RAY_REF": "from-env", "HOSTNAME": "pod-1"},
        {"ref": "from-flag", "heal": None},
    )
    assert (settings.repo, settings.interval, settings.ref, settings.heal) == (
        "https://git.example/a.git",
        45.0,
        "from-flag",
        False,
    )
    assert settings.identity == "pod-1"


def test_defaults_are_documented_values() -> None:
    settings = load_settings(None, {}, {"repo": "r"})
    assert (settings.interval, settings.resync_interval, settings.apply, settings.heal) == (
        60.0,
        300.0,
        True,
        True,
    )
    assert (settings.leader_election, settings.allow_empty_prune, settings.metrics_address) == (
        False,
        False,
        "0.0.0.0:8080",
    )


@pytest.mark.parametrize(
    ("environ", "flags", "message"),
    [
        ({}, {}, "repo: a repository URL is required"),
        ({"GITOPS_RAY_HEAL": "maybe"}, {"repo": "r"}, "GITOPS_RAY_HEAL: must be true or false, got 'maybe'"),
        ({"GITOPS_RAY_INTERVAL": "soon"}, {"repo": "r"}, "GITOPS_RAY_INTERVAL: must be a number, got 'soon'"),
        ({}, {"repo": "r", "interval": 0.0}, "interval: must be a positive number of seconds"),
        ({}, {"repo": "r", "interval": 600.0}, "resync_interval: must not be shorter than interval"),
        ({}, {"repo": "r", "metrics_address": "8080"}, "metrics_address: must be HOST:PORT"),
        ({}, {"repo": "r", "log_format": "xml"}, "log_format: must be json or console"),
        (
            {"GITOPS_RAY_LOG_LEVEL": "verbose"},
            {"repo": "r"},
            "log_level: must be one of debug, info, warning, error, got 'verbose'",
        ),
    ],
    ids=[
        "no-repo",
        "bad-bool",
        "bad-number",
        "zero-interval",
        "resync-too-short",
        "bad-address",
        "bad-log",
        "bad-level",
    ],
)
def test_a_bad_setting_says_where_it_came_from(
    environ: dict[str, str], flags: dict[str, object], message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(None, environ, flags)
    assert message in str(raised.value)


def test_an_unknown_file_key_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("repo: r\nintervall: 5\n")
    with pytest.raises(SettingsError, match="intervall: unknown setting"):
        load_settings(config, {}, {})


def test_settings_are_a_frozen_value() -> None:
    with pytest.raises(AttributeError):
        ControllerSettings().repo = "x"  # type: ignore[misc]
