"""Code (SAST) analysis: Semgrep with this repository's own rules over every application.

Semgrep runs once for all application folders (its start-up alone takes a few seconds), fully
offline: no metrics, no version check, no registry rules, no login. Findings of ERROR rules
fail the check; WARNING ones are reported without failing it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from connectors.checks.base import Application, CheckContext, CheckOutcome, EntryType, Finding

RULES_DIR = Path(__file__).parent / "semgrep"
DEFAULT_TIMEOUT_SECONDS = 600
MAX_PARSE_PROBLEMS_REPORTED = 20

# Installed packages, build output and tests are not the deployed code the creator wrote;
# the hosted service analyses each application's sources the same way.
EXCLUDED_PATHS = (
    "node_modules",
    "bower_components",
    "dist",
    "build",
    "coverage",
    "target",
    ".git",
    ".yarn",
    "vendor",
    "test",
    "tests",
    "__tests__",
    "__mocks__",
    "*.test.js",
    "*.test.ts",
    "*.spec.js",
    "*.spec.ts",
    "*.min.js",
)
_ENTRY_TYPES: dict[str, EntryType] = {
    "CRITICAL": "Error",
    "ERROR": "Error",
    "HIGH": "Error",
    "WARNING": "Warning",
    "MEDIUM": "Warning",
    "INFO": "Information",
    "LOW": "Information",
}
# Variables that would let Semgrep log in, fetch rules or send anything anywhere.
_DROPPED_ENVIRONMENT = ("SEMGREP_APP_TOKEN", "SEMGREP_RULES", "SEMGREP_URL", "SEMGREP_APP_URL")


class SemgrepFailed(Exception):
    """Semgrep did not produce a result: it crashed, timed out or printed no JSON."""


@dataclass(frozen=True)
class SemgrepFinding:
    rule_id: str
    severity: str
    message: str
    path: str  # relative to the folder Semgrep ran in, with forward slashes
    line: int


@dataclass
class SemgrepReport:
    findings: list[SemgrepFinding] = field(default_factory=list)
    unparsed: list[tuple[str, int, str]] = field(default_factory=list)  # (path, line, why)
    scanned_files: int = 0


def find_semgrep() -> str | None:
    """Semgrep installed next to this Python first (the project's venv), then on PATH."""
    beside = Path(sys.executable).parent / "semgrep"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("semgrep")


def semgrep_command(
    executable: str, targets: list[str], *, project_root: Path, rules: Path = RULES_DIR
) -> list[str]:
    command = [
        executable,
        "scan",
        # The native engine: the default command line hands over to a Python front end
        # whose start-up alone costs about 3 s per run.
        "--experimental",
        "--json",
        "--quiet",
        "--metrics=off",
        "--disable-version-check",
        "--oss-only",
        "--config",
        str(rules),
        "--no-rewrite-rule-ids",
        # Exclusions match paths from here, not from a git repository that may enclose it.
        f"--project-root={project_root}",
        # A repository must not be able to hide files from the analysis with its own
        # .semgrepignore or .gitignore; what is excluded is decided here.
        "--x-ignore-semgrepignore-files",
        "--no-git-ignore",
    ]
    # Anchored below each target, so that an application named like an excluded folder
    # ("tests", "build") is still analysed.
    for target in targets:
        prefix = "" if target in ("", ".") else f"{target.rstrip('/')}/**/"
        command.extend(f"--exclude={prefix}{pattern}" for pattern in EXCLUDED_PATHS)
    command.append("--")
    command.extend(targets)
    return command


def run_semgrep(
    targets: list[str],
    *,
    cwd: Path,
    executable: str,
    rules: Path = RULES_DIR,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> SemgrepReport:
    """Run Semgrep once over ``targets`` (paths relative to ``cwd``).

    Raises ``SemgrepFailed`` when it does not finish in ``timeout`` seconds or gives no result.
    """
    with tempfile.TemporaryDirectory(prefix="semgrep-home-") as home:
        environment = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENVIRONMENT}
        environment.update(
            {
                "SEMGREP_SEND_METRICS": "off",
                "SEMGREP_ENABLE_VERSION_CHECK": "0",
                # Settings and logs go to a throw-away folder: no stored login is used and
                # concurrent runs do not share files.
                "SEMGREP_SETTINGS_FILE": str(Path(home) / "settings.yml"),
                "SEMGREP_LOG_FILE": str(Path(home) / "semgrep.log"),
                "SEMGREP_VERSION_CACHE_PATH": str(Path(home) / "version-cache"),
                "XDG_CACHE_HOME": str(Path(home) / "cache"),
            }
        )
        try:
            # A session of its own, so that a timeout ends Semgrep and anything it started.
            process = subprocess.Popen(
                semgrep_command(executable, targets, project_root=cwd, rules=rules),
                cwd=cwd,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            raise SemgrepFailed(f"Semgrep could not be started: {error}") from error
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise SemgrepFailed(f"Semgrep did not finish within {timeout:g} s") from None
    try:
        output = json.loads(stdout)
    except ValueError:
        last_line = (stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
        raise SemgrepFailed(
            f"Semgrep exited with code {process.returncode} without a result: {last_line}"
        ) from None
    return _report(output)


def _report(output: dict) -> SemgrepReport:
    report = SemgrepReport(scanned_files=len((output.get("paths") or {}).get("scanned") or ()))
    seen: set[tuple[str, int, str]] = set()
    for result in output.get("results") or ():
        key = (str(result["path"]), int(result["start"]["line"]), str(result["check_id"]))
        if key in seen:
            continue
        seen.add(key)
        extra = result.get("extra") or {}
        report.findings.append(
            SemgrepFinding(
                rule_id=key[2],
                severity=str(extra.get("severity", "WARNING")).upper(),
                message=" ".join(str(extra.get("message", "")).split()),
                path=Path(key[0]).as_posix(),
                line=key[1],
            )
        )
    for error in output.get("errors") or ():
        path = error.get("path")
        if not path:
            if error.get("level") == "error":
                # A rule Semgrep could not load: running on without it would pass code unseen.
                problem = str(error.get("message") or error.get("short_msg") or error)
                raise SemgrepFailed(f"Semgrep rejected a rule: {problem.splitlines()[0]}")
            continue
        spans = error.get("spans") or [{}]
        line = int((spans[0].get("start") or {}).get("line") or 1)
        report.unparsed.append((Path(path).as_posix(), line, _problem(error.get("type"))))
    return report


def _problem(kind: object) -> str:
    """What a per-file Semgrep error means for the creator."""
    name = kind[0] if isinstance(kind, list) and kind else str(kind or "")
    if name in ("Timeout", "OutOfMemory"):
        return "took too long to analyse: parts of it were not analysed"
    if "pars" in name.lower() or "lexical" in name.lower() or "syntax" in name.lower():
        return "could not be fully parsed: parts of it were not analysed"
    return f"was not fully analysed ({name or 'unknown problem'})"


class CodeCheck:
    name = "Code analysis"

    def __init__(self, *, executable: str | None = None, rules: Path = RULES_DIR) -> None:
        # None: look Semgrep up when the check runs.
        self.executable = executable
        self.rules = rules

    def run(self, context: CheckContext) -> CheckOutcome:
        executable = self.executable or find_semgrep()
        if not executable or not Path(executable).is_file():
            return CheckOutcome(
                status="skipped",
                summary="Semgrep is not installed on this server: the code was not analysed.",
            )
        folders = _application_folders(context)
        if not folders:
            return CheckOutcome(status="skipped", summary="No application folder to analyse.")
        configured: Any = context.options.get("semgrep_timeout_seconds") or getattr(
            settings, "CONNECTORS_SEMGREP_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS
        )
        timeout = float(configured)
        try:
            report = run_semgrep(
                sorted(folders),
                cwd=context.root,
                executable=executable,
                rules=self.rules,
                timeout=timeout,
            )
        except SemgrepFailed as error:
            return CheckOutcome(
                status="failed",
                findings=[Finding(type="Error", message=f"Code analysis could not run: {error}.")],
                summary=str(error),
            )

        findings = [
            _finding(
                folders,
                f.path,
                f.line,
                _ENTRY_TYPES.get(f.severity, "Warning"),
                f"{f.message} [{f.rule_id}]",
            )
            for f in report.findings
        ]
        findings.sort(key=lambda f: (f.file or "", f.line or 0, f.message))
        for path, line, problem in report.unparsed[:MAX_PARSE_PROBLEMS_REPORTED]:
            findings.append(_finding(folders, path, line, "Information", f"{problem}."))
        errors = sum(1 for f in findings if f.type == "Error")
        warnings = sum(1 for f in findings if f.type == "Warning")
        summary = (
            f"Semgrep analysed {report.scanned_files} files of {len(folders)} application(s): "
            f"{errors} error(s), {warnings} warning(s)."
        )
        return CheckOutcome(
            status="failed" if errors else "succeeded", findings=findings, summary=summary
        )


def _application_folders(context: CheckContext) -> dict[str, str]:
    """Each existing application folder, relative to the repository, mapped to its name."""
    root = context.root.resolve()
    folders: dict[str, str] = {}
    for application in context.applications:
        folder = _folder(context.root, application).resolve()
        if folder.is_dir() and (folder == root or root in folder.parents):
            relative = folder.relative_to(root).as_posix()
            folders.setdefault(relative, application.name)
    return folders


def _folder(root: Path, application: Application) -> Path:
    return application.path if application.path.is_absolute() else root / application.path


def _finding(
    folders: dict[str, str], path: str, line: int, entry_type: EntryType, text: str
) -> Finding:
    path = path.removeprefix("./")
    # The longest folder that holds the file names its application.
    for folder in sorted(folders, key=len, reverse=True):
        if folder == "." or path.startswith(folder + "/"):
            application = folders[folder]
            label = path if folder == "." else path[len(folder) + 1 :]
            return Finding(
                type=entry_type,
                message=f"{application}: {label}:{line}: {text}",
                application=application,
                file=path,
                line=line,
            )
    return Finding(type=entry_type, message=f"{path}:{line}: {text}", file=path, line=line)
