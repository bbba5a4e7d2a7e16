"""The README is the user's manual: its settings table must name every controller setting."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from gitops_ray.app.settings import ControllerSettings, env_name, file_key

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.parametrize("name", [f.name for f in fields(ControllerSettings)])
def test_every_setting_is_documented_with_its_variable_and_file_key(name: str) -> None:
    assert f"`{env_name(name)}`" in README
    assert f"`{file_key(name)}`" in README


def test_the_readme_opens_with_the_two_set_up_commands() -> None:
    commands = [line.strip() for line in README.splitlines() if line.startswith("    scripts/setup")]
    assert commands == [
        "scripts/setup && .venv/bin/gitops-ray render example-repo",
        "scripts/setup --test && .venv/bin/python -m pytest",
    ]
