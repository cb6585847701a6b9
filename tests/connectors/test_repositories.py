"""Fetching repositories at a tag, against real local git repositories and real git."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from connectors import samples
from connectors.errors import GitRepositoryNotReachable
from connectors.repositories import (
    RepositoryLocationNotAllowed,
    RepositoryRejected,
    checkout,
    read_specification_file,
    resolve_tag,
)
from connectors.samples import Symlink
from tests.connectors.conftest import add_to_config

# Every test here runs git with an operator gitconfig of its own, and leaves no temporary
# folder behind (tests/connectors/conftest.py).
pytestmark = pytest.mark.usefixtures("git_global_config", "scratch_root")

SMALL_CONNECTOR = {
    "connect.yaml": "deployAs:\n  - name: service\n    applicationType: service\n",
    "service/src/index.js": "module.exports = {};\n",
}


@pytest.fixture
def small_repo(tmp_path) -> samples.SampleRepository:
    return samples.create_repository(tmp_path / "small", SMALL_CONNECTOR)


@pytest.fixture
def marker(tmp_path) -> Path:
    """A file that only an executed command would create."""
    return tmp_path / "command-ran"


@pytest.fixture
def touch_script(tmp_path, marker) -> Path:
    script = tmp_path / "touch-marker.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    return script


def scratch_directories() -> list[str]:
    return [path.name for path in Path(tempfile.gettempdir()).iterdir()]


# --- resolving tags ----------------------------------------------------------------------


def test_a_lightweight_tag_resolves_to_its_commit(small_repo):
    assert resolve_tag(small_repo.url, "1.0.0") == small_repo.tags["1.0.0"]


def test_an_annotated_tag_resolves_to_the_commit_it_points_at(tmp_path):
    repo = samples.create_repository(tmp_path / "annotated", SMALL_CONNECTOR, annotated=True)
    tag_object = subprocess.run(
        ["git", "-C", str(repo.path), "rev-parse", "refs/tags/1.0.0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    commit = resolve_tag(repo.url, "1.0.0")

    assert commit == repo.tags["1.0.0"]
    assert commit != tag_object


@pytest.mark.parametrize("tag", ["v1.0.0", "release/2025-01", "1.0.0-rc.1", "v2@2025"])
def test_tags_of_the_usual_shapes_resolve(tmp_path, tag):
    repo = samples.create_repository(tmp_path / "shapes", SMALL_CONNECTOR, tags=[tag])

    assert resolve_tag(repo.url, tag) == repo.head


def test_a_moved_tag_resolves_to_its_new_commit(small_repo):
    new_commit = samples.add_commit(small_repo, {"CHANGELOG.md": "1.0.0 again\n"}, tags=["1.0.0"])

    assert resolve_tag(small_repo.url, "1.0.0") == new_commit


def test_an_unknown_tag_is_reported_as_not_found(small_repo):
    with pytest.raises(GitRepositoryNotReachable) as raised:
        resolve_tag(small_repo.url, "9.9.9")

    assert raised.value.message == (
        f"The tag '9.9.9' was not found in the Git repository '{small_repo.url}'."
    )
    assert raised.value.status == 400


def test_a_tag_is_matched_whole_not_by_its_tail(tmp_path):
    repo = samples.create_repository(tmp_path / "tails", SMALL_CONNECTOR, tags=["old/1.0.0"])

    with pytest.raises(GitRepositoryNotReachable, match="was not found"):
        resolve_tag(repo.url, "1.0.0")


def test_an_unreachable_repository_is_reported_as_unreachable(tmp_path):
    url = (tmp_path / "nothing-here").as_uri()

    with pytest.raises(GitRepositoryNotReachable) as raised:
        resolve_tag(url, "1.0.0")

    assert raised.value.message == f"The Git repository '{url}' could not be reached."


def test_a_password_in_the_url_is_not_repeated_in_the_message(settings):
    settings.CONNECTORS_GIT_TIMEOUT_SECONDS = 10
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    url = f"https://someone:hunter2@127.0.0.1:{port}/acme/x.git"  # nothing listens there

    with pytest.raises(GitRepositoryNotReachable) as raised:
        resolve_tag(url, "1.0.0")

    assert "hunter2" not in raised.value.message
    assert f"https://someone:***@127.0.0.1:{port}/acme/x.git" in raised.value.message


# --- refusing what is not a remote repository and a tag ---------------------------------


def test_file_urls_are_refused_unless_local_repositories_are_allowed(small_repo, settings):
    settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES = False

    with pytest.raises(RepositoryLocationNotAllowed) as raised:
        resolve_tag(small_repo.url, "1.0.0")

    assert "is not allowed" in raised.value.message
    assert raised.value.code == "GitRepositoryNotReachable"


REFUSED_URLS = [
    "http://github.com/acme/x.git",
    "git://github.com/acme/x.git",
    "ext::{script}",
    "ext::sh -c touch% {marker}",
    "fd::17",
    "--upload-pack={script}",
    "--upload-pack=touch {marker}",
    "-u{script}",
    "-oProxyCommand={script}:x.git",
    "ssh://-oProxyCommand={script}/x.git",
    "git@-oProxyCommand={script}:x.git",
    "-git@github.com:acme/x.git",
    "git@github.com:-x.git",
    "{repo_path}",
    "file://remote-host{repo_path}",
    "file://localhost{repo_path}",
    "https://github.com/acme/x.git\n",
    "https://github.com/acme/x .git",
    "https://-github.com/acme/x.git",
    "https://",
    "",
]


@pytest.mark.parametrize("template", REFUSED_URLS)
def test_urls_that_are_not_plain_remote_repositories_are_refused_before_git_runs(
    template, small_repo, touch_script, marker, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    url = template.format(script=touch_script, marker=marker, repo_path=small_repo.path)

    for attempt in (
        lambda: resolve_tag(url, "1.0.0"),
        lambda: read_specification_file(url, "1.0.0"),
        lambda: checkout(url, "1.0.0").__enter__(),
    ):
        with pytest.raises(RepositoryLocationNotAllowed, match="is not allowed"):
            attempt()

    assert not marker.exists()


REFUSED_TAGS = [
    "--upload-pack={script}",
    "-u{script}",
    "--",
    "-1.0.0",
    "../1.0.0",
    "1.0.0/../x",
    "a..b",
    "1.0.0.lock",
    "release/.hidden",
    "release//1.0.0",
    "release/",
    "1.0.0.",
    "1.0.0\n",
    " 1.0.0",
    "*",
    "_1.0.0",
    "1.0.0^{{}}",
    "1.0.0:refs/heads/main",
    "",
]


@pytest.mark.parametrize("template", REFUSED_TAGS)
def test_tags_that_git_could_read_as_options_or_other_refs_are_refused_before_git_runs(
    template, small_repo, touch_script, marker
):
    tag = template.format(script=touch_script)

    for attempt in (
        lambda: resolve_tag(small_repo.url, tag),
        lambda: read_specification_file(small_repo.url, tag),
        lambda: checkout(small_repo.url, tag).__enter__(),
    ):
        with pytest.raises(RepositoryLocationNotAllowed, match="not a valid Git tag name"):
            attempt()

    assert not marker.exists()


def test_an_operator_mapping_to_the_ext_transport_still_runs_no_command(
    git_global_config, touch_script, marker
):
    add_to_config(
        git_global_config,
        f'[protocol "ext"]\n\tallow = always\n[url "ext::{touch_script} "]\n'
        "\tinsteadOf = https://evil.example/\n",
    )
    # The same configuration does run the command for git without our settings.
    subprocess.run(["git", "ls-remote", "https://evil.example/x.git"], capture_output=True)
    assert marker.exists()
    marker.unlink()

    with pytest.raises(GitRepositoryNotReachable, match="could not be reached"):
        resolve_tag("https://evil.example/x.git", "1.0.0")

    assert not marker.exists()


# --- the operator's configuration ---------------------------------------------------------


@pytest.mark.parametrize("local_allowed", [True, False])
def test_an_operator_mirror_configured_with_insteadof_is_used(
    git_global_config, tmp_path, settings, local_allowed
):
    mirror = tmp_path / "mirror"
    repo = samples.create_repository(mirror / "x.git", SMALL_CONNECTOR)
    add_to_config(
        git_global_config, f'[url "{mirror.as_uri()}/"]\n\tinsteadOf = https://github.com/acme/\n'
    )
    settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES = local_allowed
    url = "https://github.com/acme/x.git"

    assert resolve_tag(url, "1.0.0") == repo.head
    assert read_specification_file(url, "1.0.0").content == SMALL_CONNECTOR["connect.yaml"].encode()
    with checkout(url, "1.0.0") as checked_out:
        assert checked_out.commit == repo.head
        assert (checked_out.path / "service/src/index.js").is_file()


def test_hooks_configured_by_the_operator_do_not_run(git_global_config, small_repo, tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "reference-transaction", "post-index-change"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {tmp_path / hook}.ran\n")
        (hooks / hook).chmod(0o755)
    add_to_config(git_global_config, f"[core]\n\thooksPath = {hooks}\n")
    # Plain git runs them with this configuration.
    subprocess.run(["git", "clone", "-q", small_repo.url, str(tmp_path / "clone")], check=True)
    assert sorted(path.name for path in tmp_path.glob("*.ran"))
    for ran in tmp_path.glob("*.ran"):
        ran.unlink()

    with checkout(small_repo.url, "1.0.0") as checked_out:
        assert (checked_out.path / "connect.yaml").is_file()

    assert not list(tmp_path.glob("*.ran"))


def test_submodules_are_not_fetched_even_when_the_operator_recurses(
    git_global_config, small_repo, tmp_path
):
    inner = samples.create_repository(tmp_path / "inner", {"inner-secret.txt": "not for us\n"})
    add_to_config(
        git_global_config,
        '[submodule]\n\trecurse = true\n[protocol "file"]\n\tallow = always\n'
        "[fetch]\n\trecurseSubmodules = true\n",
    )
    gitmodules = f'[submodule "vendor"]\n\tpath = vendor\n\turl = {inner.url}\n'
    samples.add_commit(small_repo, {".gitmodules": gitmodules})
    subprocess.run(
        [
            "git",
            "-C",
            str(small_repo.path),
            "update-index",
            "--add",
            "--cacheinfo",
            f"160000,{inner.head},vendor",
        ],
        check=True,
    )
    samples.add_commit(small_repo, {}, tags=["2.0.0"])

    with checkout(small_repo.url, "2.0.0") as checked_out:
        assert (checked_out.path / ".gitmodules").is_file()
        assert not (checked_out.path / "vendor" / "inner-secret.txt").exists()


def test_a_repository_asking_for_credentials_fails_instead_of_prompting(
    git_global_config, settings
):
    requests: list[str] = []

    class AskForCredentials(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AskForCredentials)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    # The server speaks plain HTTP; an operator mapping lets an https URL reach it.
    add_to_config(
        git_global_config,
        f'[url "http://127.0.0.1:{port}/"]\n\tinsteadOf = https://127.0.0.1:{port}/\n',
    )
    settings.CONNECTORS_GIT_TIMEOUT_SECONDS = 20
    try:
        with pytest.raises(GitRepositoryNotReachable, match="could not be reached"):
            resolve_tag(f"https://127.0.0.1:{port}/private/x.git", "1.0.0")
    finally:
        server.shutdown()
        server.server_close()

    assert requests


def test_a_repository_that_never_answers_times_out_and_git_is_killed(settings, monkeypatch):
    for proxy in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    settings.CONNECTORS_GIT_TIMEOUT_SECONDS = 1
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepted by the kernel, never answered
        port = silent.getsockname()[1]

        with pytest.raises(GitRepositoryNotReachable) as raised:
            resolve_tag(f"https://127.0.0.1:{port}/acme/x.git", "1.0.0")

        assert "timed out after 1 s" in raised.value.message
        # The connection was made by git's https helper; it ends once the helper is killed.
        connection, _ = silent.accept()
        with connection:
            connection.settimeout(10)
            assert reads_until_closed(connection)


def reads_until_closed(connection: socket.socket) -> bool:
    """True once the peer has closed the connection (raises TimeoutError if it never does)."""
    try:
        while connection.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True


# --- checking out ------------------------------------------------------------------------


def test_checkout_yields_the_files_of_the_tag_and_its_commit(small_repo):
    samples.add_commit(small_repo, {"later.txt": "after the tag\n"}, tags=["2.0.0"])

    with checkout(small_repo.url, "1.0.0") as checked_out:
        files = sorted(
            p.relative_to(checked_out.path).as_posix() for p in checked_out.path.rglob("*")
        )
        commit = checked_out.commit

    assert commit == small_repo.tags["1.0.0"]
    assert files == ["connect.yaml", "service", "service/src", "service/src/index.js"]


def test_checkout_of_an_annotated_tag_yields_its_commit(tmp_path):
    repo = samples.create_repository(tmp_path / "annotated", SMALL_CONNECTOR, annotated=True)

    with checkout(repo.url, "1.0.0") as checked_out:
        assert checked_out.commit == repo.head


def test_checkout_fetches_only_the_tag_at_depth_one(small_repo):
    samples.add_commit(small_repo, {"second.txt": "two\n"}, tags=["2.0.0"])
    samples.add_commit(small_repo, {"third.txt": "three\n"}, tags=["3.0.0"])

    with checkout(small_repo.url, "2.0.0") as checked_out:
        git_dir = checked_out.path.parent / "git"
        refs = subprocess.run(
            ["git", f"--git-dir={git_dir}", "for-each-ref", "--format=%(refname)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        history = subprocess.run(
            ["git", f"--git-dir={git_dir}", "rev-list", "--count", "refs/tags/2.0.0"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert refs == ["refs/tags/2.0.0"]
    assert history == "1"


def test_checkout_of_an_unknown_tag_says_the_tag_was_not_found(small_repo):
    before = scratch_directories()

    with (
        pytest.raises(GitRepositoryNotReachable, match="'9.9.9' was not found"),
        checkout(small_repo.url, "9.9.9"),
    ):
        pass

    assert scratch_directories() == before


def test_checkout_removes_its_directory_afterwards(small_repo):
    with checkout(small_repo.url, "1.0.0") as checked_out:
        scratch = checked_out.path.parent
        assert scratch.is_dir()

    assert not scratch.exists()


def test_checkout_removes_its_directory_when_the_body_raises(small_repo):
    with (
        pytest.raises(RuntimeError, match="the check crashed"),
        checkout(small_repo.url, "1.0.0") as checked_out,
    ):
        scratch = checked_out.path.parent
        raise RuntimeError("the check crashed")

    assert not scratch.exists()


def test_a_repository_larger_than_the_limit_is_rejected_naming_the_file(tmp_path, settings):
    settings.CONNECTORS_REPOSITORY_MAX_BYTES = 1_000
    repo = samples.create_repository(
        tmp_path / "big", {**SMALL_CONNECTOR, "service/data.bin": b"\0" * 2_000}
    )
    before = scratch_directories()

    with pytest.raises(RepositoryRejected) as raised, checkout(repo.url, "1.0.0"):
        pass

    assert "larger than 1000 bytes" in raised.value.message
    assert "CONNECTORS_REPOSITORY_MAX_BYTES" in raised.value.message
    assert "'service/data.bin'" in raised.value.message
    assert scratch_directories() == before


def test_a_repository_at_the_size_limit_is_accepted(tmp_path, settings):
    files = {"a.txt": "x" * 600, "b.txt": "y" * 400}
    settings.CONNECTORS_REPOSITORY_MAX_BYTES = 1_000
    repo = samples.create_repository(tmp_path / "exact", files)

    with checkout(repo.url, "1.0.0") as checked_out:
        assert (checked_out.path / "b.txt").stat().st_size == 400


def test_a_repository_with_more_files_than_the_limit_is_rejected(tmp_path, settings):
    settings.CONNECTORS_REPOSITORY_MAX_FILES = 3
    repo = samples.create_repository(
        tmp_path / "many", {f"docs/page-{n}.md": f"page {n}\n" for n in range(5)}
    )

    with pytest.raises(RepositoryRejected) as raised, checkout(repo.url, "1.0.0"):
        pass

    assert "more than 3 files" in raised.value.message
    assert "CONNECTORS_REPOSITORY_MAX_FILES" in raised.value.message
    assert "'docs/page-3.md'" in raised.value.message


def test_a_download_growing_past_the_limit_is_stopped_while_it_runs(
    git_global_config, tmp_path, settings
):
    # A slow server: half a megabyte of the pack, then a pause long enough to be watched.
    hook = tmp_path / "slow-pack.sh"
    hook.write_text('#!/bin/sh\n"$@" | { head -c 500000; sleep 5; cat; }\n')
    hook.chmod(0o755)
    add_to_config(git_global_config, f"[uploadpack]\n\tpackObjectsHook = {hook}\n")
    settings.CONNECTORS_REPOSITORY_MAX_BYTES = 100_000
    repo = samples.create_repository(tmp_path / "huge", {"noise.bin": os.urandom(2_000_000)})

    with (
        pytest.raises(RepositoryRejected, match="download exceeds the limit of 100000 bytes"),
        checkout(repo.url, "1.0.0"),
    ):
        pass


@pytest.mark.parametrize(
    "link, target",
    [
        ("passwd", "/etc/passwd"),
        ("up", "../../x"),
        ("beside", "../git/config"),
        ("service/deep", "../../outside"),
        ("sneaky", "service/../../x"),
    ],
)
def test_a_symbolic_link_leaving_the_checkout_is_rejected(tmp_path, link, target):
    repo = samples.create_repository(tmp_path / "links", {**SMALL_CONNECTOR, link: Symlink(target)})
    before = scratch_directories()

    with pytest.raises(RepositoryRejected) as raised, checkout(repo.url, "1.0.0"):
        pass

    assert raised.value.message == (
        f"The symbolic link '{link}' points outside the repository (to '{target}')."
    )
    assert scratch_directories() == before


def test_a_symbolic_link_through_another_link_is_followed_to_where_it_really_points(tmp_path):
    files = {**SMALL_CONNECTOR, "hop": Symlink("service/src"), "escape": Symlink("hop/../../..")}
    repo = samples.create_repository(tmp_path / "hops", files)

    with (
        pytest.raises(RepositoryRejected, match="'escape' points outside"),
        checkout(repo.url, "1.0.0"),
    ):
        pass


def test_symbolic_links_inside_the_checkout_are_kept(tmp_path):
    files = {
        **SMALL_CONNECTOR,
        "docs/README.md": "read me\n",
        "README.md": Symlink("docs/README.md"),
        "service/docs": Symlink("../docs"),
        "dangling": Symlink("not-there-yet"),
    }
    repo = samples.create_repository(tmp_path / "inside", files)

    with checkout(repo.url, "1.0.0") as checked_out:
        assert (checked_out.path / "README.md").read_text() == "read me\n"
        assert (checked_out.path / "service/docs/README.md").read_text() == "read me\n"
        assert (checked_out.path / "dangling").is_symlink()


# --- reading connect.yaml ----------------------------------------------------------------


def fetches(counter: Path) -> int:
    return len(counter.read_text().split())


def test_the_specification_file_is_read_at_the_tag(small_repo):
    samples.add_commit(small_repo, {"connect.yaml": "deployAs: []\n"}, tags=["2.0.0"])

    first = read_specification_file(small_repo.url, "1.0.0")
    second = read_specification_file(small_repo.url, "2.0.0")

    assert first.content == SMALL_CONNECTOR["connect.yaml"].encode()
    assert first.commit == small_repo.tags["1.0.0"]
    assert second.content == b"deployAs: []\n"


def test_a_second_read_of_the_same_tag_does_not_fetch_again(small_repo, fetch_counter):
    first = read_specification_file(small_repo.url, "1.0.0")
    second = read_specification_file(small_repo.url, "1.0.0")

    assert fetches(fetch_counter) == 1
    assert second == first


def test_a_moved_tag_is_fetched_again(small_repo, fetch_counter):
    read_specification_file(small_repo.url, "1.0.0")
    moved_to = samples.add_commit(small_repo, {"connect.yaml": "deployAs: []\n"}, tags=["1.0.0"])

    moved = read_specification_file(small_repo.url, "1.0.0")

    assert fetches(fetch_counter) == 2
    assert moved.commit == moved_to
    assert moved.content == b"deployAs: []\n"


def test_a_repository_without_connect_yaml_has_no_specification_file(tmp_path, fetch_counter):
    repo = samples.create_repository(tmp_path / "none", samples.no_specification_files())

    first = read_specification_file(repo.url, "1.0.0")
    again = read_specification_file(repo.url, "1.0.0")

    assert first.content is None
    assert again.content is None
    assert fetches(fetch_counter) == 1


@pytest.mark.parametrize(
    "files",
    [
        {"connect.yaml/inside.txt": "a folder, not a file\n"},
        {"real.yaml": "deployAs: []\n", "connect.yaml": Symlink("real.yaml")},
        {"service/connect.yaml": "deployAs: []\n"},
    ],
)
def test_only_a_regular_connect_yaml_at_the_root_counts(tmp_path, files):
    repo = samples.create_repository(tmp_path / "odd", files)

    assert read_specification_file(repo.url, "1.0.0").content is None


def test_an_oversized_specification_file_is_read_only_up_to_one_byte_past_the_limit(
    tmp_path, settings
):
    settings.CONNECTORS_SPEC_MAX_BYTES = 10
    repo = samples.create_repository(tmp_path / "long", {"connect.yaml": "#" * 5_000})

    assert read_specification_file(repo.url, "1.0.0").content == b"#" * 11


def test_reading_the_specification_of_an_unknown_tag_says_the_tag_was_not_found(small_repo):
    with pytest.raises(GitRepositoryNotReachable, match="'2.0.0' was not found"):
        read_specification_file(small_repo.url, "2.0.0")


def test_a_too_large_download_of_the_specification_is_an_unreachable_repository(
    git_global_config, tmp_path, settings
):
    hook = tmp_path / "slow-pack.sh"
    hook.write_text('#!/bin/sh\n"$@" | { head -c 500000; sleep 5; cat; }\n')
    hook.chmod(0o755)
    add_to_config(git_global_config, f"[uploadpack]\n\tpackObjectsHook = {hook}\n")
    settings.CONNECTORS_REPOSITORY_MAX_BYTES = 100_000
    repo = samples.create_repository(
        tmp_path / "huge", {**SMALL_CONNECTOR, "noise.bin": os.urandom(2_000_000)}
    )

    with pytest.raises(GitRepositoryNotReachable, match="download exceeds the limit"):
        read_specification_file(repo.url, "1.0.0")


def test_git_variables_inherited_from_the_environment_do_not_redirect_the_checkout(
    small_repo, tmp_path, monkeypatch
):
    monkeypatch.setenv("GIT_DIR", str(small_repo.path / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path / "foreign-tree"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "foreign-index"))

    with checkout(small_repo.url, "1.0.0") as checked_out:
        assert (checked_out.path / "connect.yaml").is_file()

    assert not (tmp_path / "foreign-tree").exists()
    assert not (tmp_path / "foreign-index").exists()
