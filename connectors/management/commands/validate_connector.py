"""``manage.py validate_connector PATH... [--json]``: the local validator.

A PATH that is a file is checked as a connect.yaml against the strict rules (the
official CLI's). A PATH that is a folder is checked as a connector repository: its
connect.yaml against the strict rules, and its application folders with the same
structure check the publishing pipeline runs.

Exit status: 0 when every PATH is valid, 1 when one is not, 2 on a usage error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.checks.base import Application, CheckContext
from connectors.checks.structure import StructureCheck
from connectors.spec import rules
from connectors.spec.loader import MAX_BYTES, SpecFileError, load_spec_document
from connectors.spec.strict import ROOT_LABEL, validate_specification

SPEC_FILE = "connect.yaml"


@dataclass(frozen=True)
class Problem:
    path: str  # a dotted connect.yaml path, or a repository file for structure problems
    message: str
    file: str  # the file the problem is in, relative to the PATH given
    line: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
        return data

    def as_text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        label = self.path or ROOT_LABEL
        shown = self.message if label == self.file else f"[{label}]: {self.message}"
        return f"{where}: {shown}"


@dataclass
class Verdict:
    path: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


class Command(BaseCommand):
    # A local validator: the project's own system checks are not its business.
    requires_system_checks: list[str] = []
    help = (
        "Validate connect.yaml files (strict rules) or connector repository folders "
        "(strict rules and the repository structure). Exit status 1 when one is not valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths", nargs="+", metavar="PATH", help="a connect.yaml file or a repository folder"
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON line per PATH"
        )

    def handle(self, *args: Any, paths: list[str], as_json: bool, **options: Any) -> None:
        for raw in paths:
            if not Path(raw).exists():
                raise CommandError(f"{raw}: no such file or folder", returncode=2)
        verdicts = [validate_path(Path(raw), shown=raw) for raw in paths]
        for verdict in verdicts:
            self._report(verdict, as_json=as_json)
        invalid = sum(not verdict.valid for verdict in verdicts)
        if invalid:
            raise CommandError(f"{invalid} of {len(verdicts)} not valid", returncode=1)

    def _report(self, verdict: Verdict, *, as_json: bool) -> None:
        if as_json:
            line = {
                "path": verdict.path,
                "valid": verdict.valid,
                "errors": [problem.as_json() for problem in verdict.problems],
            }
            self.stdout.write(json.dumps(line, ensure_ascii=False))
            return
        if verdict.valid:
            self.stdout.write(self.style.SUCCESS(f"{verdict.path}: valid"))
            return
        count = len(verdict.problems)
        noun = "problem" if count == 1 else "problems"
        self.stdout.write(self.style.ERROR(f"{verdict.path}: not valid, {count} {noun}"))
        for problem in verdict.problems:
            self.stdout.write(f"  {problem.as_text()}")


def validate_path(path: Path, *, shown: str) -> Verdict:
    if path.is_dir():
        return Verdict(shown, _repository_problems(path))
    return Verdict(shown, _spec_problems(path, file=path.name)[0])


def _spec_problems(path: Path, *, file: str) -> tuple[list[Problem], Any]:
    """The strict problems of one connect.yaml, and its loaded content (None if unreadable)."""
    with path.open("rb") as handle:
        content = handle.read(MAX_BYTES + 1)
    try:
        loaded = load_spec_document(content)
    except SpecFileError as error:
        return [Problem("", str(error), file, error.line)], None
    problems = [
        Problem(error.path, error.message, file, error.line)
        for error in validate_specification(loaded)
    ]
    return problems, loaded.value


def _repository_problems(root: Path) -> list[Problem]:
    spec_path = root / SPEC_FILE
    if spec_path.is_symlink() or not spec_path.is_file():
        return [Problem(SPEC_FILE, "Connector specification file not found", SPEC_FILE)]
    problems, document = _spec_problems(spec_path, file=SPEC_FILE)
    context = CheckContext(root=root, applications=_applications(document, root), spec=document)
    outcome = StructureCheck().run(context)
    for finding in outcome.findings:
        if finding.type == "Error":
            file = finding.file or (finding.application or "")
            problems.append(Problem(file, finding.message, file, finding.line))
    return problems


def _applications(document: Any, root: Path) -> list[Application]:
    """The applications whose folder can be looked for: a valid name and a known type."""
    deploy_as = document.get("deployAs") if isinstance(document, dict) else None
    if not isinstance(deploy_as, list):
        return []
    applications = []
    for entry in deploy_as:
        if not isinstance(entry, dict):
            continue
        name, kind = entry.get("name"), entry.get("applicationType")
        if (
            isinstance(name, str)
            and rules.APPLICATION_NAME.fullmatch(name)
            and kind in rules.KNOWN_APPLICATION_TYPES
        ):
            canonical = rules.canonical_application_type(kind)
            applications.append(Application(name=name, type=canonical, path=root / name))
    return applications
