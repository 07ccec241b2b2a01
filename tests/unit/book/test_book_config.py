"""The book's repository buttons: a remote's web address, and when they are on."""

from __future__ import annotations

import subprocess

import pytest

from digits_helpers.book import build as book


@pytest.mark.parametrize(
    ("remote", "web"),
    [
        ("git@github.com:owner/repo.git", "https://github.com/owner/repo"),
        ("git@github.com:owner/repo", "https://github.com/owner/repo"),
        ("github.com:owner/repo.git", "https://github.com/owner/repo"),
        ("ssh://git@github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("ssh://git@github.com:22/owner/repo.git", "https://github.com/owner/repo"),
        ("git+ssh://git@github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("git://github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("https://github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("https://github.com/owner/repo/", "https://github.com/owner/repo"),
        (
            "https://x-access-token:secret@github.com/owner/repo.git\n",
            "https://github.com/owner/repo",
        ),
        (
            "https://gitlab.example.org/group/sub/repo.git",
            "https://gitlab.example.org/group/sub/repo",
        ),
        ("http://git.example.org/repo", "http://git.example.org/repo"),
    ],
)
def test_remote_urls_become_web_addresses(remote, web):
    assert book.normalise_remote_url(remote) == web


@pytest.mark.parametrize(
    "remote",
    [
        "/srv/git/repo.git",
        "../repo.git",
        "file:///srv/git/repo.git",
        "C:/git/repo",
        "",
        "https://github.com/",
    ],
)
def test_local_or_empty_remotes_have_no_web_address(remote):
    assert book.normalise_remote_url(remote) is None


def test_buttons_stay_off_without_an_address(tmp_path):
    (tmp_path / "_config.yml").write_text(
        "html:\n  use_repository_button: false\n  use_download_button: true\n"
        "repository:\n  url: ''\n  branch: main\n"
    )
    assert book.repository_settings(None) == {}
    config = book.book_config(tmp_path, None)
    assert config["html"]["use_repository_button"] is False
    assert config["repository"]["url"] == ""


def test_buttons_point_at_the_address_and_keep_the_other_settings(tmp_path):
    (tmp_path / "_config.yml").write_text(
        "html:\n  use_repository_button: false\n  use_download_button: true\n"
        "repository:\n  url: ''\n  branch: main\n"
    )
    config = book.book_config(tmp_path, "https://github.com/owner/repo")
    assert config["repository"] == {"url": "https://github.com/owner/repo", "branch": "main"}
    assert config["html"] == {
        "use_repository_button": True,
        "use_download_button": True,
        "use_issues_button": True,
    }


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_repository_url_reads_origin_of_a_real_repository(tmp_path):
    assert book.repository_url(tmp_path) is None  # not a repository
    _git(tmp_path, "init", "--quiet")
    assert book.repository_url(tmp_path) is None  # no origin
    _git(tmp_path, "remote", "add", "origin", str(tmp_path / "bare.git"))
    assert book.repository_url(tmp_path) is None  # a local remote: no page, and a local path
    _git(tmp_path, "remote", "set-url", "origin", "git@github.com:owner/repo.git")
    assert book.repository_url(tmp_path) == "https://github.com/owner/repo"
    _git(tmp_path, "remote", "add", "upstream", "https://github.com/other/repo.git")
    assert book.repository_url(tmp_path, "upstream") == "https://github.com/other/repo"
