"""The pipeline check that each application of connect.yaml can be built from its folder.

Connect builds every application from the folder named like it at the repository root,
so that folder must exist and hold a package manifest: a ``package.json`` with the
scripts the build and the runtime call, or a Maven/Gradle build file for Java.

Which scripts are required (our choice, from what the build runs):
- service, event, job: ``start`` (how the deployed application is started), and
  ``build`` as well when the folder has a ``tsconfig.json`` (TypeScript is compiled first);
- assets and Merchant Center applications: ``build`` (it produces what is deployed);
- every ``npm run X`` of the application's ``postDeploy``/``preUndeploy`` scripts: ``X``.

The repository is untrusted: symbolic links are not followed and manifests are read
with a size cap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.spec import rules
from connectors.spec.loader import SpecFileError, load_spec_document

from .base import Application, CheckContext, CheckOutcome, Finding

SPECIFICATION_FILE = "connect.yaml"
NODE_MANIFEST = "package.json"
JAVA_MANIFESTS = ("pom.xml", "build.gradle", "build.gradle.kts")
MAX_MANIFEST_BYTES = 1024 * 1024

# Makes an Error finding of the application being checked: (message, file, line).
Report = Callable[..., Finding]

_STATIC_TYPES = frozenset({rules.ASSETS, *rules.MERCHANT_CENTER_TYPES})
_NPM_RUN = re.compile(r"\bnpm\s+run(?:-script)?\s+([^\s;&|()<>\"']+)")
_WHY = {
    "start": "the deployed application is started with `npm start`",
    "build": "the build step produces the files that are deployed",
    "build-ts": "TypeScript sources (tsconfig.json) are compiled by `npm run build` before start",
}


class StructureCheck:
    name = "Repository structure"

    def run(self, context: CheckContext) -> CheckOutcome:
        if not context.applications:
            return CheckOutcome(
                status="skipped",
                summary="No application to check: connect.yaml could not be read or lists none.",
            )
        root = context.root.resolve()
        deploy_scripts = _deploy_scripts(context.spec)
        entry_lines = _entry_lines(root)
        findings: list[Finding] = []
        for application in context.applications:
            findings += _check_application(
                root,
                application,
                deploy_scripts.get(application.name, {}),
                entry_lines.get(application.name),
            )
        count = len(context.applications)
        if any(finding.type == "Error" for finding in findings):
            failing = len({f.application for f in findings if f.type == "Error"})
            return CheckOutcome(
                status="failed",
                findings=findings,
                summary=f"{failing} of {count} application folders cannot be built as they are.",
            )
        noun = "application folder holds" if count == 1 else "application folders hold"
        return CheckOutcome(
            status="succeeded",
            findings=findings,
            summary=f"{count} {noun} a package manifest with the scripts the build needs.",
        )


def _check_application(
    root: Path, application: Application, deploy_scripts: dict[str, str], entry_line: int | None
) -> list[Finding]:
    name = application.name
    folder = application.path

    def error(message: str, file: str, line: int | None = None) -> Finding:
        return Finding(type="Error", message=message, application=name, file=file, line=line)

    if folder.is_symlink():
        return [error(f"The folder of application '{name}' is a symbolic link.", f"{name}/")]
    if not folder.is_dir() or not folder.resolve().is_relative_to(root):
        # The folder is not there to point at: the connect.yaml entry that names it is.
        return [
            error(
                f"Application '{name}' has no folder '{name}/' at the repository root.",
                SPECIFICATION_FILE,
                entry_line,
            )
        ]
    package_json = folder / NODE_MANIFEST
    if _is_plain_file(package_json):
        return _check_node_manifest(application, package_json, deploy_scripts, error)
    if any(_is_plain_file(folder / manifest) for manifest in JAVA_MANIFESTS):
        return []
    return [
        error(
            f"Application '{name}' has no package manifest: {name}/ needs a package.json "
            "(Node.js), or a pom.xml or build.gradle (Java).",
            f"{name}/",
        )
    ]


def _check_node_manifest(
    application: Application,
    path: Path,
    deploy_scripts: dict[str, str],
    error: Report,
) -> list[Finding]:
    name = application.name
    file = f"{name}/{NODE_MANIFEST}"
    with path.open("rb") as handle:
        raw = handle.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:
        return [error(f"{file} is larger than {MAX_MANIFEST_BYTES} bytes.", file)]
    text = raw.decode("utf-8", "replace")
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as problem:
        return [error(f"{file} is not valid JSON: {problem.msg}.", file, problem.lineno)]
    if not isinstance(manifest, dict):
        return [error(f"{file} must hold a JSON object.", file, 1)]
    scripts = manifest.get("scripts")
    scripts = scripts if isinstance(scripts, dict) else {}
    line = _line_of(text, '"scripts"')

    findings = []
    for script, why in _required_scripts(application):
        if not _has_script(scripts, script):
            findings.append(error(f'{file} has no "{script}" script: {why}.', file, line))
    for hook, command in deploy_scripts.items():
        for script in _NPM_RUN.findall(command):
            if not _has_script(scripts, script):
                findings.append(
                    error(
                        f'connect.yaml runs "npm run {script}" as the {hook} script of '
                        f'{name}, but {file} has no "{script}" script.',
                        file,
                        line,
                    )
                )
    return findings


def _required_scripts(application: Application) -> list[tuple[str, str]]:
    if application.type in _STATIC_TYPES:
        return [("build", _WHY["build"])]
    required = [("start", _WHY["start"])]
    if _is_plain_file(application.path / "tsconfig.json"):
        required.append(("build", _WHY["build-ts"]))
    return required


def _has_script(scripts: dict[str, Any], script: str) -> bool:
    command = scripts.get(script)
    return isinstance(command, str) and command.strip() != ""


def _is_plain_file(path: Path) -> bool:
    return not path.is_symlink() and path.is_file()


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _entry_lines(root: Path) -> dict[str, int]:
    """Application name -> the line of its ``name`` in connect.yaml's ``deployAs``."""
    try:
        loaded = load_spec_document((root / SPECIFICATION_FILE).read_bytes())
    except (OSError, SpecFileError):
        return {}
    deploy_as = loaded.value.get("deployAs") if isinstance(loaded.value, dict) else None
    if not isinstance(deploy_as, list):
        return {}
    lines: dict[str, int] = {}
    for index, entry in enumerate(deploy_as):
        name = entry.get("name") if isinstance(entry, dict) else None
        line = loaded.line_of(("deployAs", index, "name"))
        if isinstance(name, str) and line is not None:
            lines.setdefault(name, line)
    return lines


def _deploy_scripts(spec: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """Application name -> {"postDeploy": command, ...}, from the loaded connect.yaml."""
    deploy_as = spec.get("deployAs") if isinstance(spec, dict) else None
    if not isinstance(deploy_as, list):
        return {}
    result: dict[str, dict[str, str]] = {}
    for entry in deploy_as:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        scripts = entry.get("scripts")
        if isinstance(scripts, dict):
            result[entry["name"]] = {
                hook: command
                for hook in ("postDeploy", "preUndeploy")
                if isinstance(command := scripts.get(hook), str)
            }
    return result
