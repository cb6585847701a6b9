"""Small repositories for the code check: files written into a folder, and the check's context
over the applications named in it."""

from __future__ import annotations

from pathlib import Path

from connectors.checks.base import Application, CheckContext


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def context_for(root: Path, *names: str, types: dict[str, str] | None = None) -> CheckContext:
    return CheckContext(
        root=root,
        applications=[
            Application(name=n, type=(types or {}).get(n, "service"), path=root / n) for n in names
        ],
    )
