"""Source identity: every spelling of one repository and path is one source."""

from __future__ import annotations

import pytest

from gitops_ray.model.ownership import source_identity


@pytest.mark.parametrize(
    ("url", "path", "identity"),
    [
        ("https://git.example/org/ray.git", "clusters", "https://git.example/org/ray#clusters"),
        ("https://git.example/org/ray/", "clusters/", "https://git.example/org/ray#clusters"),
        (
            "https://x-token:s3cret@git.example/org/ray.git",
            "clusters",
            "https://git.example/org/ray#clusters",
        ),
        ("ssh://git@git.example/org/ray.git", ".", "ssh://git.example/org/ray#."),
        ("git@git.example:org/ray.git", "", "git@git.example:org/ray#."),
        ("file:///srv/repos/ray", "team-a/clusters", "file:///srv/repos/ray#team-a/clusters"),
    ],
    ids=["https-dot-git", "trailing-slashes", "credentials-dropped", "ssh-url", "scp-like", "file"],
)
def test_source_identity(url: str, path: str, identity: str) -> None:
    assert source_identity(url, path) == identity
