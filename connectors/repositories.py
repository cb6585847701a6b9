"""Fetching a connector's repository at a tag, safely.

Everything here runs the git command-line client with an argument list (never a shell)
under a timeout. The operator's git configuration is honoured on purpose: an air-gapped
install mirrors GitHub with ``url.<base>.insteadOf`` in its global gitconfig. What a
repository or its URL could abuse is switched off on the command line, where it wins over
any gitconfig: command-running transports, hooks, submodules and credential prompts.

Only ``refs/tags/<tag>`` is fetched, at depth 1, into a temporary directory that is always
removed. The URL and tag are validated before any git command runs, so neither can ever
become a git option. A comparison (``fetch_revisions``) fetches two commits the same way
into one such directory: each by its tag, or by its sha when the tag has moved since.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.cache import cache

from connectors.errors import GitRepositoryNotReachable, GitTagNotFound
from connectors.values import URL_USER_PART, has_url_credentials

logger = logging.getLogger(__name__)

SPECIFICATION_FILE_NAME = "connect.yaml"
# A cached file is keyed by its commit, so it never goes stale; the timeout only frees space.
SPECIFICATION_CACHE_SECONDS = 24 * 3600

# Given with -c on every call: command-line values win over every gitconfig file.
_HARDENING_CONFIG = (
    "protocol.ext.allow=never",  # ext:: runs an arbitrary command
    "protocol.fd.allow=never",
    "core.hooksPath=/dev/null",  # no hook runs, whoever configured it
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "fetch.unpackLimit=1",  # keep the pack as it arrives, so the size guard sees it grow
    "gc.auto=0",  # nothing may outlive the temporary directory
    "maintenance.auto=false",
    "advice.detachedHead=false",
)
# Variables that would point git at another repository than the one we made.
_REPOSITORY_LOCATION_VARIABLES = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "SSH_ASKPASS",
    }
)
_POLL_SECONDS = 0.2
_REGULAR_FILE_MODES = {"100644", "100755"}

_PRINTABLE_WITHOUT_SPACE = re.compile(r"[\x21-\x7e]+")
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*", re.ASCII)
_SCP_LIKE = re.compile(
    r"(?P<user>[A-Za-z0-9_][A-Za-z0-9_.-]*)@(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*)"
    r":(?P<path>[\w.@~/][\w.@:/~-]*)",
    re.ASCII,
)
# The API's tag rule (JavaScript's \w is ASCII, hence re.ASCII), then git's own ref rules.
_TAG = re.compile(r"(?!.*\.{2,})(?!\*)[^\W_][\w.@/-]{0,254}", re.ASCII)
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class RepositoryRejected(Exception):
    """A fetched repository breaks a limit (size, file count, a symlink leaving it).

    Not an API error: the pipeline turns it into a report entry.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class RepositoryLocationNotAllowed(GitRepositoryNotReachable):
    """The URL or tag was refused before any git command ran."""


@dataclass(frozen=True)
class CheckedOutRepository:
    path: Path  # the working tree: the repository's files, without a .git folder
    commit: str


@dataclass(frozen=True)
class SpecificationFile:
    commit: str
    content: bytes | None  # None: no connect.yaml at the root; else at most the limit + 1 bytes


@dataclass(frozen=True)
class Revision:
    """A commit to fetch: the one ``tag`` points at, or ``commit`` if the tag has moved since."""

    url: str
    tag: str
    commit: str | None = None  # None: whatever the tag points at now


@dataclass(frozen=True)
class FetchedRevisions:
    """Two commits fetched into one bare repository, the head also checked out."""

    git_dir: Path
    scratch: Path
    base: str
    head: str
    head_tree: Path  # the head's files, checked out like ``checkout`` does

    def output(self, args: list[str]) -> bytes:
        """What a git command on the fetched repository prints (``args`` after --git-dir).

        Raises GitRepositoryNotReachable when git fails or times out.
        """
        return _run_local_git(self._git(args), self.scratch).stdout

    def output_prefix(self, args: list[str], limit: int) -> bytes:
        """At most ``limit`` bytes of what the command prints; the rest is never read."""
        return _read_prefix(self._git(args), limit, self.scratch)

    def _git(self, args: list[str]) -> list[str]:
        # Paths given to the command are file names, never pathspec magic or globs.
        return ["--literal-pathspecs", f"--git-dir={self.git_dir}", *args]


# --- public interface --------------------------------------------------------------------


def resolve_tag(url: str, tag: str) -> str:
    """The sha of the commit ``tag`` points at (annotated tags peeled), via ``git ls-remote``.

    Raises RepositoryLocationNotAllowed for a refused URL or tag, and
    GitRepositoryNotReachable when the repository cannot be reached, the tag does not
    exist, or git times out.
    """
    ensure_location_allowed(url, tag)
    ref = f"refs/tags/{tag}"
    with _scratch_directory() as scratch:
        result = _run_remote_git(
            ["ls-remote", "--tags", "--", url, ref, f"{ref}^{{}}"], url, scratch
        )
    if result.returncode != 0:
        _log_failure("ls-remote", url, result)
        raise GitRepositoryNotReachable(
            f"The Git repository '{_displayed(url)}' could not be reached."
        )
    refs = _parse_ls_remote(result.stdout)
    commit = refs.get(f"{ref}^{{}}") or refs.get(ref)
    if commit is None:
        raise GitTagNotFound(
            f"The tag '{tag}' was not found in the Git repository '{_displayed(url)}'."
        )
    return commit


@contextlib.contextmanager
def checkout(url: str, tag: str, *, owner: str | None = None) -> Iterator[CheckedOutRepository]:
    """Check the repository out at ``tag`` into a temporary directory, removed on exit.

    With an ``owner`` (a run id) the directory is ``run-<owner>-…`` under
    CONNECTORS_CHECKOUT_DIR, so that what a killed worker left behind can be found and
    cleared (see leftover_checkouts).
    Raises RepositoryLocationNotAllowed or GitRepositoryNotReachable (see resolve_tag), and
    RepositoryRejected when the download or the checkout exceeds
    CONNECTORS_REPOSITORY_MAX_BYTES or CONNECTORS_REPOSITORY_MAX_FILES, or a symbolic link
    points outside the checkout.
    """
    ensure_location_allowed(url, tag)
    with _scratch_directory(owner) as scratch:
        git_dir = _fetch_tag(scratch, url, tag)
        commit = _tagged_commit(git_dir, url, tag, scratch)
        _enforce_tree_limits(git_dir, commit, scratch)
        tree = scratch / "repository"
        _check_out(git_dir, tree, commit, scratch)
        _inspect_checkout(tree)
        yield CheckedOutRepository(path=tree, commit=commit)


@contextlib.contextmanager
def fetch_revisions(base: Revision, head: Revision, *, seconds: int) -> Iterator[FetchedRevisions]:
    """Fetch two commits (depth 1 each) into one temporary bare repository, removed on exit.

    The head is checked out as ``checkout`` does (same limits and symlink rule), so that what
    its connect.yaml deploys can be read. Every git command, those run through the result
    included, shares ``seconds``. Raises RepositoryLocationNotAllowed and
    GitRepositoryNotReachable (also when a commit can no longer be fetched), and
    RepositoryRejected (see ``checkout``).
    """
    for revision in (base, head):
        ensure_location_allowed(revision.url, revision.tag)
        if revision.commit is not None and not _COMMIT.fullmatch(revision.commit):
            raise RepositoryLocationNotAllowed(f"'{revision.commit}' is not a commit id.")
    with _time_limit(seconds), _scratch_directory() as scratch:
        git_dir = _init_bare(scratch)
        head_commit = _fetch_revision(git_dir, scratch, head, "refs/compare/head")
        _enforce_tree_limits(git_dir, head_commit, scratch)
        tree = scratch / "repository"
        _check_out(git_dir, tree, head_commit, scratch)
        _inspect_checkout(tree)
        base_commit = _fetch_revision(git_dir, scratch, base, "refs/compare/base")
        yield FetchedRevisions(git_dir, scratch, base_commit, head_commit, tree)


def read_specification_file(url: str, tag: str) -> SpecificationFile:
    """The bytes of ``connect.yaml`` at the repository root for ``tag``, cached by commit.

    A caller waits for this (create, setRepository): every git command of it together gets
    CONNECTORS_REQUEST_GIT_TIMEOUT_SECONDS. The tag is resolved first (cheap); the repository
    is fetched only when the cache has nothing for that commit, so a moved tag is fetched
    again. At most CONNECTORS_SPEC_MAX_BYTES + 1 bytes are read: a longer result means the
    file is too big. Raises RepositoryLocationNotAllowed or GitRepositoryNotReachable (also
    when the download exceeds CONNECTORS_REPOSITORY_MAX_BYTES or the time is up).
    """
    with _time_limit(settings.CONNECTORS_REQUEST_GIT_TIMEOUT_SECONDS):
        commit = resolve_tag(url, tag)
        cached = cache.get(_specification_cache_key(url, tag, commit))
        if cached is not None:
            return SpecificationFile(commit=commit, content=cached[0])
        specification = _fetch_specification_file(url, tag)
    cache.set(
        _specification_cache_key(url, tag, specification.commit),
        (specification.content,),  # a tuple, so a cached "no file" differs from a miss
        SPECIFICATION_CACHE_SECONDS,
    )
    return specification


def ensure_location_allowed(url: str, tag: str) -> None:
    """Refuse any URL or tag that is not plainly a remote repository and a tag name.

    Raises RepositoryLocationNotAllowed.
    """
    if not _is_allowed_url(url):
        # Only what the API's URL rule accepts too (it refuses ssh:// URLs).
        transports = "https://host/owner/repository.git or git@host:owner/repository.git"
        if settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES:
            transports += " (or file:// for a local repository)"
        raise RepositoryLocationNotAllowed(
            f"The repository URL '{_displayed(url)}' is not allowed: use {transports}."
        )
    if not _is_allowed_tag(tag):
        raise RepositoryLocationNotAllowed(f"The tag '{tag}' is not a valid Git tag name.")


# --- validation --------------------------------------------------------------------------


def _is_allowed_url(url: str) -> bool:
    if not isinstance(url, str) or not _PRINTABLE_WITHOUT_SPACE.fullmatch(url):
        return False
    if url.startswith(("https://", "ssh://")):
        return _is_allowed_network_url(urlsplit(url))
    if url.startswith("file://"):
        return settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES and _is_allowed_file_url(url)
    scp_like = _SCP_LIKE.fullmatch(url)
    # "host://path" would be read by git as a URL with an unknown transport.
    return scp_like is not None and not scp_like["path"].startswith("//")


def _is_allowed_network_url(parts: SplitResult) -> bool:
    try:
        host, user = parts.hostname, parts.username
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    if not host or not _HOST.fullmatch(host):
        return False
    if user is not None and user.startswith("-"):
        return False
    return len(parts.path) > 1 and "\\" not in parts.geturl()


def _is_allowed_file_url(url: str) -> bool:
    parts = urlsplit(url)
    # git reads everything after "file://" as the path: a host part would make it relative.
    return parts.netloc == "" and parts.path.startswith("/") and len(parts.path) > 1


def _is_allowed_tag(tag: str) -> bool:
    if not isinstance(tag, str) or not _TAG.fullmatch(tag):
        return False
    if "//" in tag or tag.endswith(("/", ".")):
        return False
    return not any(part.startswith(".") or part.endswith(".lock") for part in tag.split("/"))


def _displayed(url: str) -> str:
    """The URL without its secret, for messages and logs: ``user:***@`` for a password, and
    ``***@`` for a lone user part (a token: https://ghp_…@github.com/…).

    The API refuses such URLs; drafts stored before it did still reach the pipelines.
    """
    match = URL_USER_PART.match(url)
    if match is None or not has_url_credentials(url):
        return url
    user, colon, _ = match["user"].partition(":")
    shown = f"{user}:***" if colon else "***"
    return f"{match['scheme']}{shown}@{url[match.end() :]}"


def _masked(text: str, url: str) -> str:
    """git's own output with the URL's credentials masked wherever git repeated them."""
    match = URL_USER_PART.match(url)
    if match is None or not has_url_credentials(url):
        return text
    secret = match["user"].partition(":")[2] or match["user"]
    return text.replace(url, _displayed(url)).replace(secret, "***")


# --- fetching ----------------------------------------------------------------------------


def _fetch_tag(scratch: Path, url: str, tag: str) -> Path:
    """Fetch ``refs/tags/<tag>`` at depth 1 into a new bare repository; returns its path.

    Raises GitRepositoryNotReachable, and RepositoryRejected when the download grows past
    CONNECTORS_REPOSITORY_MAX_BYTES.
    """
    git_dir = _init_bare(scratch)
    ref = f"refs/tags/{tag}"
    result = _fetch_refspec(git_dir, scratch, url, f"+{ref}:{ref}")
    if result.returncode != 0:
        _log_failure("fetch", url, result)
        resolve_tag(url, tag)  # raises the precise reason when the repository or tag is gone
        raise GitRepositoryNotReachable(
            f"The tag '{tag}' of the Git repository '{_displayed(url)}' could not be fetched."
        )
    return git_dir


def _init_bare(scratch: Path) -> Path:
    git_dir = scratch / "git"
    _run_local_git(["init", "--quiet", "--bare", "--template=", str(git_dir)], scratch)
    return git_dir


def _fetch_refspec(git_dir: Path, scratch: Path, url: str, refspec: str) -> _GitResult:
    """One shallow fetch; a download past the size limit raises RepositoryRejected."""
    fetch = [f"--git-dir={git_dir}", "fetch", "--quiet", "--no-tags", "--depth=1"]
    fetch += ["--no-recurse-submodules", "--", url, refspec]
    return _run_remote_git(fetch, url, scratch, guard=_download_guard(git_dir))


def _fetch_revision(git_dir: Path, scratch: Path, revision: Revision, local_ref: str) -> str:
    """Fetch ``revision`` into ``local_ref``; returns its commit.

    By its tag first (every server serves tags); by its sha when the tag is gone or has
    moved (GitHub and git's protocol v2 serve any commit of the repository). Raises
    GitRepositoryNotReachable.
    """
    url, tag = revision.url, revision.tag
    result = _fetch_refspec(git_dir, scratch, url, f"+refs/tags/{tag}:{local_ref}")
    fetched = _commit_of(git_dir, local_ref, scratch) if result.returncode == 0 else None
    if fetched is not None and revision.commit in (None, fetched):
        return fetched
    commit = revision.commit
    if commit is None:
        if result.returncode != 0:
            _log_failure("fetch", url, result)
            resolve_tag(url, tag)  # raises the precise reason when the repository or tag is gone
        raise GitRepositoryNotReachable(
            f"The tag '{tag}' of the Git repository '{_displayed(url)}' could not be fetched."
        )
    result = _fetch_refspec(git_dir, scratch, url, f"+{commit}:{local_ref}")
    if result.returncode != 0 or _commit_of(git_dir, local_ref, scratch) != commit:
        _log_failure("fetch", url, result)
        raise GitRepositoryNotReachable(
            f"The commit {commit} (tag '{tag}') can no longer be fetched from the Git "
            f"repository '{_displayed(url)}'."
        )
    return commit


def _commit_of(git_dir: Path, ref: str, scratch: Path) -> str | None:
    result = _run_local_git(
        [f"--git-dir={git_dir}", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        scratch,
        check=False,
    )
    return result.stdout.decode("ascii").strip() if result.returncode == 0 else None


def _download_guard(git_dir: Path) -> Callable[[], None]:
    """Stops a download that grows past the size limit, before it fills the disk."""
    limit = settings.CONNECTORS_REPOSITORY_MAX_BYTES

    def guard() -> None:
        if _directory_size(git_dir) > limit:
            raise RepositoryRejected(
                f"The repository download exceeds the limit of {limit} bytes "
                "(CONNECTORS_REPOSITORY_MAX_BYTES)."
            )

    return guard


def _tagged_commit(git_dir: Path, url: str, tag: str, scratch: Path) -> str:
    """The commit the fetched tag points at. Raises GitRepositoryNotReachable if none."""
    commit = _commit_of(git_dir, f"refs/tags/{tag}", scratch)
    if commit is None:
        raise GitRepositoryNotReachable(
            f"The tag '{tag}' of the Git repository '{_displayed(url)}' does not point at a commit."
        )
    return commit


def _fetch_specification_file(url: str, tag: str) -> SpecificationFile:
    """Raises GitRepositoryNotReachable (a too-large download is reported as one too)."""
    limit = settings.CONNECTORS_SPEC_MAX_BYTES + 1
    with _scratch_directory() as scratch:
        try:
            git_dir = _fetch_tag(scratch, url, tag)
        except RepositoryRejected as rejected:
            raise GitRepositoryNotReachable(rejected.message) from rejected
        commit = _tagged_commit(git_dir, url, tag, scratch)
        blob = _root_file_blob(git_dir, commit, SPECIFICATION_FILE_NAME, scratch)
        content = None if blob is None else _read_blob_prefix(git_dir, blob, limit, scratch)
    return SpecificationFile(commit=commit, content=content)


def _root_file_blob(git_dir: Path, commit: str, name: str, scratch: Path) -> str | None:
    """The blob of a regular file at the root of ``commit``; None if absent or not a file."""
    result = _run_local_git(
        [f"--git-dir={git_dir}", "ls-tree", "-z", "--full-tree", commit, name], scratch
    )
    for entry in result.stdout.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.decode("ascii", "replace").split()
        if path == name.encode() and len(fields) == 3 and fields[0] in _REGULAR_FILE_MODES:
            return fields[2]
    return None


def _read_blob_prefix(git_dir: Path, blob: str, limit: int, scratch: Path) -> bytes:
    """The first ``limit`` bytes of a blob, without ever unpacking the rest of it."""
    return _read_prefix([f"--git-dir={git_dir}", "cat-file", "blob", blob], limit, scratch)


def _read_prefix(args: list[str], limit: int, scratch: Path) -> bytes:
    """The first ``limit`` bytes git prints; git is stopped once they are read.

    Raises GitRepositoryNotReachable when git fails or times out.
    """
    command = _git_command(args)
    with subprocess.Popen(
        command,
        cwd=scratch,
        env=_git_environment(scratch),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    ) as process:
        assert process.stdout is not None
        try:
            content = process.stdout.read(limit)
            # Fewer bytes than asked: git reached the end, and must have succeeded.
            if len(content) < limit and process.wait(timeout=max(_timeout(), _POLL_SECONDS)):
                raise GitRepositoryNotReachable("Git could not read the fetched repository.")
        except subprocess.TimeoutExpired:
            raise GitRepositoryNotReachable(
                "Git timed out while reading the fetched repository."
            ) from None
        finally:
            _stop(process)
    return content


# --- checking out and inspecting ---------------------------------------------------------


class _Tally:
    """Counts files and bytes; raises RepositoryRejected at the first one past a limit."""

    def __init__(self) -> None:
        self.max_files = settings.CONNECTORS_REPOSITORY_MAX_FILES
        self.max_bytes = settings.CONNECTORS_REPOSITORY_MAX_BYTES
        self.files = 0
        self.bytes = 0

    def add(self, path: str, size: int) -> None:
        self.files += 1
        self.bytes += size
        if self.files > self.max_files:
            raise RepositoryRejected(
                f"The repository has more than {self.max_files} files "
                f"(CONNECTORS_REPOSITORY_MAX_FILES); the limit is crossed at '{path}'."
            )
        if self.bytes > self.max_bytes:
            raise RepositoryRejected(
                f"The repository is larger than {self.max_bytes} bytes "
                f"(CONNECTORS_REPOSITORY_MAX_BYTES); the limit is crossed at '{path}'."
            )


def _enforce_tree_limits(git_dir: Path, commit: str, scratch: Path) -> None:
    """Check the limits from git's own listing, before a single file is written.

    Raises RepositoryRejected.
    """
    result = _run_local_git(
        [f"--git-dir={git_dir}", "ls-tree", "-r", "-l", "-z", "--full-tree", commit], scratch
    )
    tally = _Tally()
    for entry in result.stdout.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) == 4 and fields[1] == b"blob":  # submodules (commits) are not checked out
            tally.add(path.decode("utf-8", "replace"), int(fields[3]))


def _check_out(git_dir: Path, tree: Path, commit: str, scratch: Path) -> None:
    tree.mkdir()
    result = _run_local_git(
        [f"--git-dir={git_dir}", f"--work-tree={tree}", "checkout", "--quiet", "--force"]
        + ["--detach", "--no-recurse-submodules", commit],
        scratch,
        check=False,
    )
    if result.returncode != 0:
        raise RepositoryRejected(f"The commit {commit} could not be checked out.")


def _inspect_checkout(tree: Path) -> None:
    """Recount what is on disk and reject symbolic links that leave the checkout.

    Raises RepositoryRejected.
    """
    root = os.path.realpath(tree)
    tally = _Tally()
    for directory, subdirectories, files in os.walk(tree):
        # A link to a directory is listed with the directories (and not followed).
        links = [name for name in subdirectories if Path(directory, name).is_symlink()]
        for name in files + links:
            path = Path(directory, name)
            relative = path.relative_to(tree).as_posix()
            if path.is_symlink():
                _reject_escaping_symlink(path, relative, root)
            tally.add(relative, path.lstat().st_size)


def _reject_escaping_symlink(link: Path, relative: str, root: str) -> None:
    target = os.readlink(link)
    resolved = os.path.realpath(link)
    inside = os.path.commonpath([root, resolved]) == root
    if os.path.isabs(target) or not inside:
        raise RepositoryRejected(
            f"The symbolic link '{relative}' points outside the repository (to '{target}')."
        )


# --- running git -------------------------------------------------------------------------


@dataclass(frozen=True)
class _GitResult:
    returncode: int
    stdout: bytes
    stderr: str


class _GitTimedOut(Exception):
    pass


# When set (a monotonic time, and the seconds it was set for), no git command of the
# current context runs past it.
_deadline: contextvars.ContextVar[tuple[float, int] | None] = contextvars.ContextVar(
    "repository_git_deadline", default=None
)


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Every git command inside shares ``seconds`` (each still under its own limit)."""
    token = _deadline.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def _timeout() -> float:
    """Seconds the next git command may take: its own limit, or what is left of the deadline."""
    own = settings.CONNECTORS_GIT_TIMEOUT_SECONDS
    deadline = _deadline.get()
    return own if deadline is None else max(0.0, min(own, deadline[0] - time.monotonic()))


def _timed_out_after() -> int:
    """The limit that ran out, for the message."""
    own = settings.CONNECTORS_GIT_TIMEOUT_SECONDS
    deadline = _deadline.get()
    return own if deadline is None else min(own, deadline[1])


def _run_remote_git(
    args: list[str], url: str, cwd: Path, *, guard: Callable[[], None] | None = None
) -> _GitResult:
    """Run a git command that talks to ``url``. Raises GitRepositoryNotReachable on timeout."""
    try:
        return _run_git(args, cwd, guard=guard)
    except _GitTimedOut as timed_out:
        raise GitRepositoryNotReachable(
            f"Reaching the Git repository '{_displayed(url)}' timed out after "
            f"{_timed_out_after()} s."
        ) from timed_out


def _run_local_git(args: list[str], cwd: Path, *, check: bool = True) -> _GitResult:
    """Run a git command on our own, fetched repository.

    Raises GitRepositoryNotReachable on timeout, and when git fails unless ``check`` is off.
    """
    try:
        result = _run_git(args, cwd)
    except _GitTimedOut as timed_out:
        raise GitRepositoryNotReachable(
            "Git timed out while reading the fetched repository."
        ) from timed_out
    if check and result.returncode != 0:
        logger.warning(
            "git %s failed (exit %s): %s", args[-2:], result.returncode, result.stderr[-2000:]
        )
        raise GitRepositoryNotReachable("Git could not read the fetched repository.")
    return result


def _run_git(args: list[str], cwd: Path, *, guard: Callable[[], None] | None = None) -> _GitResult:
    """Run git with output in files (never a full pipe), killing its process group on exit.

    Raises _GitTimedOut after CONNECTORS_GIT_TIMEOUT_SECONDS, and whatever ``guard`` raises
    (it is called while git runs).
    """
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            _git_command(args),
            cwd=cwd,
            env=_git_environment(cwd),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # no terminal to prompt on; one group to kill
        )
        try:
            _wait(process, _timeout(), guard)
        finally:
            _stop(process)
        stdout.seek(0)
        stderr.seek(0)
        return _GitResult(process.returncode, stdout.read(), stderr.read().decode(errors="replace"))


def _wait(
    process: subprocess.Popen[bytes], timeout: float, guard: Callable[[], None] | None
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _GitTimedOut
        try:
            process.wait(timeout=min(_POLL_SECONDS, remaining))
            return
        except subprocess.TimeoutExpired:
            if guard is not None:
                guard()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill git and its helpers (remote helpers, ssh) if git is still running."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _git_command(args: list[str]) -> list[str]:
    hardening = [item for setting in _HARDENING_CONFIG for item in ("-c", setting)]
    return ["git", *hardening, *args]


def _git_environment(cwd: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_LOCATION_VARIABLES}
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",  # empty: no askpass program at all, not even core.askPass
            "SSH_ASKPASS_REQUIRE": "never",
            "GIT_LFS_SKIP_SMUDGE": "1",  # a checkout never downloads from elsewhere
            # git must not find a repository above its scratch directory and read its config.
            "GIT_CEILING_DIRECTORIES": str(cwd.parent),
            "LC_ALL": "C",  # stable, English messages in the logs
        }
    )
    return env


@contextlib.contextmanager
def _scratch_directory(owner: str | None = None) -> Iterator[Path]:
    if owner is None:
        with tempfile.TemporaryDirectory(prefix="connector-repository-") as directory:
            yield Path(directory)
        return
    root = Path(settings.CONNECTORS_CHECKOUT_DIR)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{CHECKOUT_PREFIX}{owner}-", dir=root) as directory:
        yield Path(directory)


# --- what killed workers left behind -------------------------------------------------------

CHECKOUT_PREFIX = "run-"
_OWNED_CHECKOUT = re.compile(rf"{CHECKOUT_PREFIX}(?P<owner>[0-9a-f-]{{36}})-[^/]+")


def leftover_checkouts() -> dict[str, list[Path]]:
    """The run checkouts under CONNECTORS_CHECKOUT_DIR, by owner (run id)."""
    root = Path(settings.CONNECTORS_CHECKOUT_DIR)
    found: dict[str, list[Path]] = {}
    if not root.is_dir():
        return found
    for entry in root.iterdir():
        match = _OWNED_CHECKOUT.fullmatch(entry.name)
        if match and entry.is_dir() and not entry.is_symlink():
            found.setdefault(match["owner"], []).append(entry)
    return found


def remove_checkout(path: Path) -> None:
    """Stop every process still working inside ``path`` (git, a scanner), then remove it."""
    for pid in _processes_inside(path):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            group = os.getpgid(pid)
            # Our git commands lead a process group of their own: stop their helpers too.
            if group == pid and group != os.getpgrp():
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
    shutil.rmtree(path, ignore_errors=True)


def _processes_inside(path: Path) -> list[int]:
    """Processes (of this user) whose working directory is ``path`` or below it (Linux)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    inside = str(path.resolve())
    pids = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:  # gone, or another user's
            continue
        cwd = cwd.removesuffix(" (deleted)")
        if cwd == inside or cwd.startswith(inside + os.sep):
            pids.append(int(entry.name))
    return pids


def _parse_ls_remote(output: bytes) -> dict[str, str]:
    refs = {}
    for line in output.decode("utf-8", "replace").splitlines():
        sha, _, name = line.partition("\t")
        refs[name] = sha
    return refs


def _directory_size(directory: Path) -> int:
    total = 0
    for parent, _, files in os.walk(directory):
        for name in files:
            with contextlib.suppress(FileNotFoundError):  # git renames files as it goes
                total += os.lstat(os.path.join(parent, name)).st_size
    return total


def _specification_cache_key(url: str, tag: str, commit: str) -> str:
    # The limit is part of the key: a cached prefix read under another limit does not count.
    identity = "\0".join([url, tag, commit, str(settings.CONNECTORS_SPEC_MAX_BYTES)])
    return "connectors:specification:" + hashlib.sha256(identity.encode()).hexdigest()


def _log_failure(command: str, url: str, result: _GitResult) -> None:
    # git's own words stay in the log: they can name the operator's mirror paths.
    logger.warning(
        "git %s failed for %s (exit %s): %s",
        command,
        _displayed(url),
        result.returncode,
        _masked(result.stderr.strip()[-2000:], url),
    )
