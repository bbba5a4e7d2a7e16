"""`diff --base REF` reads the base tree with `git archive`, leaving the user's work tree alone."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from git_repos import UserClone

from gitops_ray.edge.git.errors import GitSourceError, RefNotFound
from gitops_ray.edge.git.export import export_tree, extract_checked, extract_safely

pytestmark = pytest.mark.git


def test_a_directory_is_exported_as_it_was_at_the_ref(user: UserClone, tmp_path: Path) -> None:
    base = user.head()
    user.write("clusters/team-a/a.yaml", "name: changed\n")
    user.commit("change")
    exported = export_tree(user.path / "clusters", base, tmp_path / "base")
    assert exported == tmp_path / "base" / "clusters"
    assert (exported / "team-a" / "a.yaml").read_text() == "name: a\n"
    assert (user.path / "clusters" / "team-a" / "a.yaml").read_text() == "name: changed\n"


def test_a_path_that_did_not_exist_at_the_ref_is_an_empty_tree(user: UserClone, tmp_path: Path) -> None:
    base = user.head()
    user.write("new/x.yaml", "name: x\n")
    user.commit("new dir")
    exported = export_tree(user.path / "new", base, tmp_path / "base")
    assert list(exported.iterdir()) == []


def test_an_unknown_ref_is_named(user: UserClone, tmp_path: Path) -> None:
    with pytest.raises(RefNotFound, match="ref 'nope' not found"):
        export_tree(user.path, "nope", tmp_path / "base")


def test_outside_a_repository_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GitSourceError, match="not inside a Git repository"):
        export_tree(tmp_path, "main", tmp_path / "base")


def test_without_extraction_filters_the_export_still_works(
    user: UserClone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.11.0 to 3.11.3 (Debian 12: 3.11.2) have no `tarfile.data_filter`."""
    monkeypatch.delattr(tarfile, "data_filter", raising=False)  # absent already on such a Python
    exported = export_tree(user.path / "clusters", user.head(), tmp_path / "base")
    assert (exported / "team-a" / "a.yaml").read_text() == "name: a\n"


def archive(*members: tarfile.TarInfo) -> tarfile.TarFile:
    """An in-memory tar of `members` (regular files get the content b"x"), opened for reading."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member in members:
            tar.addfile(member, io.BytesIO(b"x") if member.isfile() else None)
    buffer.seek(0)
    return tarfile.open(fileobj=buffer)


def entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, linkname, 1 if kind == tarfile.REGTYPE else 0
    return info


def test_the_checked_extraction_writes_files_directories_and_inner_links(tmp_path: Path) -> None:
    tar = archive(entry("d", tarfile.DIRTYPE), entry("d/a.yaml"), entry("d/l", tarfile.SYMTYPE, "a.yaml"))
    extract_checked(tar, tmp_path)
    assert ((tmp_path / "d/a.yaml").read_text(), (tmp_path / "d/l").readlink()) == ("x", Path("a.yaml"))


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        pytest.param(entry("/etc/x"), "'/etc/x' has an absolute path or a '..' component", id="absolute"),
        pytest.param(entry("../x"), "'../x' has an absolute path or a '..' component", id="dot-dot"),
        pytest.param(
            entry("l", tarfile.SYMTYPE, "/etc/passwd"),
            "'l' links to the absolute path '/etc/passwd'",
            id="absolute-symlink",
        ),
        pytest.param(
            entry("d/l", tarfile.SYMTYPE, "../../x"),
            "'d/l' links outside the destination ('../../x')",
            id="symlink-outside",
        ),
        pytest.param(
            entry("h", tarfile.LNKTYPE, "../x"), "'h' links outside the destination ('../x')", id="hardlink"
        ),
        pytest.param(entry("f", tarfile.FIFOTYPE), "'f' is a device, FIFO or other special file", id="fifo"),
    ],
)
def test_the_checked_extraction_refuses_members_that_escape_and_writes_nothing(
    tmp_path: Path, member: tarfile.TarInfo, reason: str
) -> None:
    destination = tmp_path / "out"
    destination.mkdir()
    with pytest.raises(GitSourceError) as raised:
        extract_checked(archive(entry("ok.yaml"), member), destination)
    assert str(raised.value) == f"refusing to extract the archive: {reason}"
    assert list(destination.iterdir()) == []


def test_the_checked_extraction_refuses_members_under_a_symlink_of_the_archive(tmp_path: Path) -> None:
    """`d/up -> ..` stays inside, but `d/up/../x` through it would not: git trees never have such paths."""
    destination = tmp_path / "out"
    destination.mkdir()
    tar = archive(entry("d", tarfile.DIRTYPE), entry("d/up", tarfile.SYMTYPE, ".."), entry("d/up/x"))
    with pytest.raises(GitSourceError, match=r"'d/up/x' lies under a symbolic link of the archive$"):
        extract_checked(tar, destination)


@pytest.mark.parametrize("filters", [True, False], ids=["data-filter", "checked-fallback"])
def test_extraction_refuses_a_link_out_of_the_destination_with_or_without_filters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filters: bool
) -> None:
    if not filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no tarfile extraction filters")
    with pytest.raises(GitSourceError, match=r"^refusing to extract the archive: "):
        extract_safely(archive(entry("l", tarfile.SYMTYPE, "/etc/passwd")), tmp_path)
    assert not (tmp_path / "l").is_symlink()
