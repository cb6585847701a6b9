"""What every pipeline check takes and gives back.

A check is plain Python: it reads a checked-out repository (and, for dependency analysis,
the synced advisory tables) and returns an outcome; it never writes. The pipeline turns
outcomes into report entries, runs each check in a thread of its own and closes the database
connections that thread opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

EntryType = Literal["Information", "Warning", "Error"]
CheckStatus = Literal["succeeded", "failed", "skipped"]


@dataclass(frozen=True)
class Finding:
    """One thing a check wants the creator to know, pointing at a file and line if it can."""

    type: EntryType
    message: str
    application: str | None = None
    file: str | None = None  # path relative to the repository root, with forward slashes
    line: int | None = None


@dataclass(frozen=True)
class Application:
    """One entry of connect.yaml's ``deployAs``."""

    name: str
    type: str
    path: Path  # the application's folder inside the checked-out repository


@dataclass
class CheckContext:
    """Everything a check may read."""

    root: Path  # the repository, checked out at the draft's tag
    applications: list[Application]  # from connect.yaml; empty when it could not be read
    spec: dict[str, Any] | None = None  # connect.yaml as loaded (YAML 1.2), if it loaded
    options: dict[str, Any] = field(default_factory=dict)  # per-run values, e.g. the scope


@dataclass
class CheckOutcome:
    status: CheckStatus
    findings: list[Finding] = field(default_factory=list)
    summary: str | None = None  # message of the "<name> check <status>" entry


class TransientCheckError(Exception):
    """Something outside us failed for now (a network service): the check may be tried again.

    The message names what could not be reached; it ends up in the report.
    """


class Check(Protocol):
    """A named check. ``name`` makes the entry title: ``f"{name} check {status}"``."""

    name: str

    def run(self, context: CheckContext) -> CheckOutcome: ...
