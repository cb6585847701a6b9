"""The pipeline check of connect.yaml against the strict rules (the official CLI's)."""

from __future__ import annotations

import re
from typing import Any

from connectors.spec.loader import MAX_BYTES, SpecFileError, load_spec_document
from connectors.spec.strict import SpecError, validate_specification

from .base import CheckContext, CheckOutcome, Finding

SPEC_FILE = "connect.yaml"
NOT_FOUND = "Connector specification file not found"

_APPLICATION_PATH = re.compile(r"deployAs\.(\d+)(?:\.|$)")


class SpecificationCheck:
    name = "Connector specification file validation"

    def run(self, context: CheckContext) -> CheckOutcome:
        path = context.root / SPEC_FILE
        if path.is_symlink() or not path.is_file():
            # A symlink could point anywhere on the machine running the check.
            detail = f"{NOT_FOUND}: the repository has no {SPEC_FILE} file at its root."
            return CheckOutcome(
                status="failed",
                findings=[Finding(type="Error", message=detail, file=SPEC_FILE)],
                summary=detail,
            )
        with path.open("rb") as handle:
            # One byte over the cap is enough for the loader to refuse the file.
            content = handle.read(MAX_BYTES + 1)
        try:
            loaded = load_spec_document(content)
        except SpecFileError as error:
            document: Any = None
            errors = [SpecError("", str(error), error.line)]
        else:
            document = loaded.value
            errors = validate_specification(loaded)
        names = _application_names(document)
        if not errors:
            count = "1 application" if len(names) == 1 else f"{len(names)} applications"
            return CheckOutcome(
                status="succeeded",
                summary=f"{SPEC_FILE} follows the connector specification ({count}).",
            )
        findings = [
            Finding(
                type="Error",
                message=str(error),
                application=_application_of(error, names),
                file=SPEC_FILE,
                line=error.line,
            )
            for error in errors
        ]
        problems = "1 problem" if len(errors) == 1 else f"{len(errors)} problems"
        return CheckOutcome(
            status="failed",
            findings=findings,
            summary=f"{SPEC_FILE} does not follow the connector specification: {problems}.",
        )


def _application_names(document: Any) -> dict[int, str]:
    """deployAs index -> application name, so a creator can filter entries by application."""
    deploy_as = document.get("deployAs") if isinstance(document, dict) else None
    if not isinstance(deploy_as, list):
        return {}
    return {
        index: entry["name"]
        for index, entry in enumerate(deploy_as)
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    }


def _application_of(error: SpecError, names: dict[int, str]) -> str | None:
    match = _APPLICATION_PATH.match(error.path)
    return names.get(int(match.group(1))) if match else None
