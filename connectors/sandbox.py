"""Running a connector's own code (install, build, unit tests) in a sandbox.

Installing, building and testing run code from the repository and from its dependencies.
That code must not reach the worker's secrets (its environment, ``SECRET_KEY``,
``DATABASE_URL``, the database, Redis), files outside the folders it is given, or the
network, except the package registries while dependencies are installed. Everything that
runs such code goes through :func:`run_sandboxed`; the backend behind it is chosen by the
setting ``CONNECTORS_SANDBOX`` so that another one (a container runtime) can replace it.

``bubblewrap`` (the default) runs the command with ``bwrap``:

- new user, mount, PID, IPC, UTS and network namespaces (``--unshare-all``), no nested user
  namespaces, a new session (no terminal to inject keys into), killed with the worker;
- a read-only ``/usr`` (and the ``/bin``, ``/lib`` links), a minimal ``/etc`` made here (no
  host users or hosts file), private ``/proc``, ``/dev`` and a size-limited ``/tmp``; only
  the folders in ``writable`` are writable and only those in ``readable`` are added;
- an unprivileged identity: uid/gid 65534 inside the user namespace. A worker running as
  root first becomes ``CONNECTORS_SANDBOX_UID`` itself, because the kernel never applies
  the process-count limit to root's processes;
- ``bwrap`` itself starts with an empty environment (the sandbox can read its PID 1's
  environment), and the command gets only the variables it is given;
- limits set inside the sandbox with ``prlimit``: data segment (memory; an address-space
  limit would break Node's WebAssembly), processes (counted per user inside this sandbox's
  own user namespace), file size, CPU time, no core files; a wall-clock timeout kills the
  whole sandbox; output is kept up to a size (its start and its end, the middle dropped with
  a note) and a command that prints far more than that is stopped;
- network: none (only the sandbox's own loopback), or with ``network=True`` a fresh network
  namespace connected to the outside by ``slirp4netns --disable-host-loopback``: the
  registries can be reached, the worker's own ``127.0.0.1`` (PostgreSQL, Redis, every
  local service) cannot.

``none`` runs the command directly with the same clean environment and limits but no
isolation; it is for development machines without bubblewrap only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.conf import settings

SETUP_TRIES = 3
SANDBOX_ID = 65534  # the user and group a sandboxed command runs as, inside its namespace
# A command that prints this many times its kept output is stopped: nobody reads it.
OUTPUT_STOP_FACTOR = 64
TMP_BYTES = 512 * 1024 * 1024  # the sandbox's /tmp and /dev/shm (memory-backed)
NETWORK_SETUP_SECONDS = 10.0
_KILL_GRACE_SECONDS = 5.0

# Read-only parts of the host's /etc that tools need: the alternatives links (/usr/bin/java
# and /usr/bin/mvn point there), the JDK's and Maven's configuration.
_ETC_TOOLS = ("alternatives", "java-17-openjdk", "java-21-openjdk", "maven", "localtime")
# Only while dependencies are installed: certificate authorities for HTTPS.
_ETC_NETWORK = ("ssl", "ca-certificates", "ca-certificates.conf")
_PASSWD = (
    "root:x:0:0:root:/root:/usr/sbin/nologin\n"
    f"build:x:{SANDBOX_ID}:{SANDBOX_ID}:build:/nonexistent:/usr/sbin/nologin\n"
)
_GROUP = f"root:x:0:\nbuild:x:{SANDBOX_ID}:\n"
_HOSTS = "127.0.0.1 localhost sandbox\n::1 localhost\n"
_SLIRP_DNS = "nameserver 10.0.2.3\n"  # slirp4netns's DNS forwarder
_NS_GET_USERNS = 0xB701  # ioctl: the user namespace that owns a namespace


logger = logging.getLogger(__name__)


class SandboxUnavailable(Exception):
    """The configured sandbox cannot run on this worker (a tool is missing or refused)."""


@dataclass(frozen=True)
class Limits:
    timeout: float  # seconds of wall-clock time for the whole command
    memory: int  # bytes of data segment per process
    processes: int  # processes and threads of the sandbox's user at once
    output: int  # bytes of output kept
    file_size: int  # the largest file a process may write, in bytes


@dataclass(frozen=True)
class Invocation:
    command: tuple[str, ...]
    workdir: Path
    writable: tuple[Path, ...]
    readable: tuple[Path, ...]
    network: bool
    env: Mapping[str, str]
    limits: Limits
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class SandboxResult:
    command: tuple[str, ...]
    exit_code: int | None  # None when the sandbox was killed (time limit, output limit)
    output: str  # stdout and stderr interleaved, secrets masked, maybe shortened
    duration: float  # seconds
    timed_out: bool = False
    output_stopped: bool = False  # killed for printing far more than is kept
    dropped_bytes: int = 0  # output not kept

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0

    def ending(self) -> str:
        """How the command ended, in words: "exit code 2", "stopped after the 600 s limit"."""
        if self.timed_out:
            return "stopped: it was still running when its time ran out"
        if self.output_stopped:
            return "stopped: it printed far more output than is kept"
        code = self.exit_code if self.exit_code is not None else 0
        name = _signal_name(code - 128) if code > 128 else None
        return f"exit code {code}" + (f" (killed by {name})" if name else "")


def _signal_name(number: int) -> str | None:
    try:
        return signal.Signals(number).name
    except ValueError:
        return None


class Backend(Protocol):
    name: str

    def ensure_available(self, *, network: bool) -> None:
        """Raise SandboxUnavailable when commands cannot be run safely."""

    def prepare(self, path: Path) -> None:
        """Make ``path`` (a folder to be bound writable) usable by the sandbox's user."""

    def run(self, invocation: Invocation) -> SandboxResult: ...


def run_sandboxed(
    command: Sequence[str],
    *,
    workdir: Path,
    writable: Sequence[Path] = (),
    readable: Sequence[Path] = (),
    network: bool = False,
    env: Mapping[str, str],
    limits: Limits,
    secrets: Mapping[str, str] | None = None,
) -> SandboxResult:
    """Run ``command`` in ``workdir`` inside the configured sandbox and return how it went.

    ``writable`` folders (``workdir`` among them) and ``readable`` ones appear at the same
    paths inside. ``env`` is the command's whole environment; ``secrets`` are added to it
    and their values are masked in the output. Raises SandboxUnavailable.
    """
    hidden = dict(secrets or {})
    invocation = Invocation(
        command=tuple(command),
        workdir=Path(workdir),
        writable=tuple(Path(p) for p in writable),
        readable=tuple(Path(p) for p in readable),
        network=network,
        env={**env, **hidden},
        limits=limits,
        secrets=tuple(v for v in hidden.values() if v),
    )
    chosen = backend()
    chosen.ensure_available(network=network)
    return chosen.run(invocation)


def backend() -> Backend:
    """The backend the ``CONNECTORS_SANDBOX`` setting names. Raises SandboxUnavailable."""
    name = settings.CONNECTORS_SANDBOX
    if name == "bubblewrap":
        return Bubblewrap()
    if name == "none":
        return Unsandboxed()
    raise SandboxUnavailable(
        f"CONNECTORS_SANDBOX is '{name}': use 'bubblewrap' (or 'none' on a development machine)."
    )


def prepare_writable(path: Path) -> None:
    """Hand a folder tree to the sandbox's user before binding it writable."""
    backend().prepare(path)


def sandbox_user() -> tuple[int, int] | None:
    """The uid and gid a root worker runs sandboxes as; None when the worker is not root."""
    if os.geteuid() != 0:
        return None
    uid = settings.CONNECTORS_SANDBOX_UID
    return uid, uid


def _limit_arguments(limits: Limits) -> list[str]:
    cpu = max(1, int(limits.timeout) + 1)
    return [
        "prlimit",
        f"--data={limits.memory}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_size}",
        f"--cpu={cpu}",
        "--core=0",
        "--",
    ]


class Unsandboxed:
    """No isolation: a clean environment and the limits only. Development machines only."""

    name = "none"

    def ensure_available(self, *, network: bool) -> None:
        if shutil.which("prlimit") is None:
            raise SandboxUnavailable("prlimit (util-linux) is not installed on this worker.")

    def prepare(self, path: Path) -> None:
        return None

    def run(self, invocation: Invocation) -> SandboxResult:
        argv = [*_limit_arguments(invocation.limits), *invocation.command]
        process = subprocess.Popen(
            argv,
            cwd=invocation.workdir,
            env=dict(invocation.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return _collect(process, invocation, cleanup=lambda: _kill_group(process))


class Bubblewrap:
    """bwrap with a read-only system, the given folders, no network or slirp4netns."""

    name = "bubblewrap"

    def ensure_available(self, *, network: bool) -> None:
        missing = [tool for tool in ("bwrap", "prlimit") if shutil.which(tool) is None]
        if network and shutil.which("slirp4netns") is None:
            missing.append("slirp4netns")
        if missing:
            raise SandboxUnavailable(
                f"The sandbox needs {', '.join(missing)} on the worker (Debian packages "
                "bubblewrap, util-linux and slirp4netns); it is not installed, so the "
                "connector's code was not run. Set CONNECTORS_SANDBOX=none only on a "
                "development machine."
            )

    def prepare(self, path: Path) -> None:
        user = sandbox_user()
        if user is None:
            return
        subprocess.run(["chown", "-R", "-h", f"{user[0]}:{user[1]}", str(path)], check=True)

    def run(self, invocation: Invocation) -> SandboxResult:
        """Run the command; a sandbox that bwrap could not set up is tried again (twice)."""
        for _ in range(SETUP_TRIES - 1):
            try:
                result = self._run_once(invocation)
            except SandboxUnavailable as exc:  # its network could not be set up
                logger.warning("The sandbox could not start, trying again: %s", exc)
                continue
            if not _setup_failed(result):
                return result
            logger.warning("bwrap could not set the sandbox up, trying again: %s", result.output)
        return self._run_once(invocation)

    def _run_once(self, invocation: Invocation) -> SandboxResult:
        passed: list[int] = []
        data_files: list[tuple[str, str]] = [
            ("/etc/passwd", _PASSWD),
            ("/etc/group", _GROUP),
            ("/etc/hosts", _HOSTS),
        ]
        if invocation.network:
            data_files.append(("/etc/resolv.conf", _SLIRP_DNS))
        args = [
            "bwrap",
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--uid",
            str(SANDBOX_ID),
            "--gid",
            str(SANDBOX_ID),
            "--hostname",
            "sandbox",
            *_system_binds(),
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(TMP_BYTES),
            "--tmpfs",
            "/dev/shm",
            "--size",
            str(TMP_BYTES),
            "--tmpfs",
            "/tmp",
            "--dir",
            "/etc",
        ]
        for name in _ETC_TOOLS + (_ETC_NETWORK if invocation.network else ()):
            source = Path("/etc") / name
            if source.exists():
                args += ["--ro-bind", str(source), str(source)]
        for target, text in data_files:
            descriptor = _data_descriptor(text)
            passed.append(descriptor)
            args += ["--ro-bind-data", str(descriptor), target]
        for path in invocation.readable:
            args += ["--ro-bind", str(path), str(path)]
        for path in invocation.writable:
            args += ["--bind", str(path), str(path)]
        # The sandbox's root is a tmpfs: read-only, so nothing fills memory through it.
        args += ["--remount-ro", "/", "--chdir", str(invocation.workdir), "--clearenv"]
        for key, value in invocation.env.items():
            args += ["--setenv", key, value]
        info_read = block_write = -1
        if invocation.network:
            info_read, info_write = os.pipe()
            block_read, block_write = os.pipe()
            passed += [info_write, block_read]
            args += ["--info-fd", str(info_write), "--block-fd", str(block_read)]
        args += ["--", *_limit_arguments(invocation.limits), *invocation.command]
        user = sandbox_user()
        try:
            process = subprocess.Popen(
                args,
                env={"PATH": "/usr/bin:/bin"},  # PID 1 of the sandbox keeps bwrap's environment
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=passed,
                start_new_session=True,
                user=user[0] if user else None,
                group=user[1] if user else None,
                extra_groups=[] if user else None,
            )
        finally:
            for descriptor in passed:
                os.close(descriptor)
        network: subprocess.Popen[bytes] | None = None

        def cleanup() -> None:
            _kill_group(process)
            if network is not None and network.poll() is None:
                network.kill()
                network.wait()

        if invocation.network:
            try:
                network = _connect_network(info_read, block_write, user)
            except SandboxUnavailable:
                cleanup()
                raise
            finally:
                os.close(info_read)
                with contextlib.suppress(OSError):
                    os.close(block_write)
        return _collect(process, invocation, cleanup=cleanup)


def _setup_failed(result: SandboxResult) -> bool:
    """bwrap itself failed (e.g. "bwrap: loopback: Failed RTM_NEWADDR") before the command ran."""
    return result.exit_code == 1 and result.output.startswith("bwrap: ")


def _system_binds() -> list[str]:
    """/usr read-only, and /bin, /lib, /lib64, /sbin as the host has them (links or folders)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _data_descriptor(text: str) -> int:
    read, write = os.pipe()
    os.write(write, text.encode())
    os.close(write)
    return read


def _connect_network(
    info_read: int, block_write: int, user: tuple[int, int] | None
) -> subprocess.Popen[bytes]:
    """Give the blocked sandbox its network (slirp4netns), then let its command start."""
    child = _read_child_pid(info_read)
    # The sandbox's network namespace, and the user namespace owning it (the sandbox's
    # process moves on into a nested one, where the network cannot be configured).
    net = os.open(f"/proc/{child}/ns/net", os.O_RDONLY)
    owner = fcntl.ioctl(net, _NS_GET_USERNS)
    ready_read, ready_write = os.pipe()
    try:
        slirp = subprocess.Popen(
            [
                "slirp4netns",
                "--configure",
                "--mtu=65520",
                "--disable-host-loopback",
                "--ready-fd",
                str(ready_write),
                f"--userns-path=/proc/self/fd/{owner}",
                "--netns-type=path",
                f"/proc/self/fd/{net}",
                "tap0",
            ],
            env={"PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=[ready_write, net, owner],
            start_new_session=True,
            user=user[0] if user else None,
            group=user[1] if user else None,
            extra_groups=[] if user else None,
        )
    finally:
        for descriptor in (ready_write, net, owner):
            os.close(descriptor)
    try:
        ready = _read_with_deadline(ready_read, 1, NETWORK_SETUP_SECONDS)
    finally:
        os.close(ready_read)
    if ready != b"1":
        slirp.kill()
        slirp.wait()
        raise SandboxUnavailable("slirp4netns could not give the sandbox its network.")
    os.write(block_write, b"1")
    return slirp


def _read_child_pid(info_read: int) -> int:
    data = b""
    deadline = time.monotonic() + NETWORK_SETUP_SECONDS
    while time.monotonic() < deadline:
        chunk = _read_with_deadline(info_read, 4096, deadline - time.monotonic())
        if not chunk:
            break
        data += chunk
        try:
            return int(json.loads(data.decode())["child-pid"])
        except (ValueError, KeyError):
            continue
    raise SandboxUnavailable("bwrap did not start the sandbox (no child process reported).")


def _read_with_deadline(descriptor: int, size: int, seconds: float) -> bytes:
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        if not selector.select(timeout=max(0.0, seconds)):
            return b""
    return os.read(descriptor, size)


def _readable(descriptor: int) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        return bool(selector.select(timeout=0.2))


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the command's process group (with bwrap, its death takes the sandbox along)."""
    if process.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    try:
        process.wait(timeout=_KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class _Output:
    """The start and the end of a stream, up to ``limit`` bytes together."""

    limit: int
    head: bytearray = field(default_factory=bytearray)
    tail: deque[bytes] = field(default_factory=deque)
    tail_bytes: int = 0
    total: int = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit // 2 - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail.append(chunk)
        self.tail_bytes += len(chunk)
        keep = self.limit - self.limit // 2
        while self.tail_bytes - len(self.tail[0]) >= keep:
            self.tail_bytes -= len(self.tail.popleft())

    def text(self) -> tuple[str, int]:
        tail = b"".join(self.tail)
        keep = self.limit - self.limit // 2
        tail = tail[-keep:] if keep else b""
        dropped = self.total - len(self.head) - len(tail)
        head_text = self.head.decode("utf-8", "replace")
        tail_text = tail.decode("utf-8", "replace")
        if dropped > 0:
            note = (
                f"\n[… {dropped} bytes of output dropped: only the start and the end are kept …]\n"
            )
            return head_text + note + tail_text, dropped
        return head_text + tail_text, 0


def _collect(process: subprocess.Popen[bytes], invocation: Invocation, *, cleanup) -> SandboxResult:
    """Read the output until the command ends, its time runs out or it prints too much."""
    started = time.monotonic()
    deadline = started + invocation.limits.timeout
    output = _Output(invocation.limits.output)
    stop_after = max(invocation.limits.output, 1) * OUTPUT_STOP_FACTOR
    timed_out = output_stopped = False
    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    os.set_blocking(descriptor, False)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(descriptor, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if not selector.select(timeout=min(remaining, 1.0)):
                    if process.poll() is not None and not _readable(descriptor):
                        break  # ended; a leftover background process holds the pipe
                    continue
                try:
                    chunk = os.read(descriptor, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    break
                output.add(chunk)
                if output.total > stop_after:
                    output_stopped = True
                    break
    finally:
        if timed_out or output_stopped:
            cleanup()
        else:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()) + 1)
            except subprocess.TimeoutExpired:
                timed_out = True
            cleanup()
        process.stdout.close()
    text, dropped = output.text()
    for secret in invocation.secrets:
        text = text.replace(secret, "****")
    return SandboxResult(
        command=invocation.command,
        exit_code=None if (timed_out or output_stopped) else process.returncode,
        output=text,
        duration=time.monotonic() - started,
        timed_out=timed_out,
        output_stopped=output_stopped,
        dropped_bytes=dropped,
    )
