"""Code (SAST) analysis: Semgrep with this repository's own rules, scoped as the hosted service.

What is read comes from ``connectors.checks.scope``: the source of each deployed application
(``<app>/src``, or the folder when it has no ``src``, plus the local modules it depends on),
without tests, installed packages or build output. Merchant Center custom applications and
views are not analysed (one Information entry each says so), nor folders no application
deploys.

Semgrep runs once for all of it (its start-up alone takes a few seconds), fully offline: no
metrics, no version check, no registry rules, no login. Findings of ERROR rules fail the
check; WARNING ones are reported without failing it. A WARNING rule may name, in its metadata
``superseded-by``, the ERROR rules that report the same problem with proof; where one of them
reports the same line, only the ERROR is shown.

A creator silences a false positive with a ``nosemgrep`` comment. Silenced findings never
fail the run, but the certifier sees each one as an Information entry. Semgrep's JSON output
leaves them out and, with ``--disable-nosem``, returns them unmarked; its SARIF output marks
them (``suppressions``). So when an analysed file mentions ``nosem``, Semgrep runs a second
time over just those files with SARIF output to learn what was silenced there.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from connectors.checks.base import CheckContext, CheckOutcome, EntryType, Finding
from connectors.checks.scope import (
    GENERATED_FOLDERS,
    MINIFIED_PATTERNS,
    TEST_FILE_PATTERNS,
    TEST_FOLDERS,
    AnalysisScope,
    analysis_scope,
)

RULES_DIR = Path(__file__).parent / "semgrep"
DEFAULT_TIMEOUT_SECONDS = 600
MAX_PARSE_PROBLEMS_REPORTED = 20
RULE_TIMEOUT_SECONDS = 20
# Read this much of an analysed file to look for a nosemgrep comment.
MAX_SUPPRESSION_SCAN_BYTES = 4 * 1024 * 1024

# Installed packages, build output and tests are not the deployed code the creator wrote.
EXCLUDED_PATTERNS = (
    *sorted(GENERATED_FOLDERS),
    *sorted(TEST_FOLDERS),
    *TEST_FILE_PATTERNS,
    *MINIFIED_PATTERNS,
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
_SARIF_LEVELS = {"error": "ERROR", "warning": "WARNING", "note": "INFO"}
# Rule files Semgrep's own rule tests use beside rules; never rules themselves.
_RULE_TEST_SUFFIXES = (".test.yaml", ".test.yml", ".fixed.yaml", ".fixed.yml")


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
    silenced: list[SemgrepFinding] = field(default_factory=list)  # by nosemgrep comments
    unparsed: list[tuple[str, int, str]] = field(default_factory=list)  # (path, line, why)
    scanned_files: int = 0
    scanned: list[str] = field(default_factory=list)


def find_semgrep() -> str | None:
    """Semgrep installed next to this Python first (the project's venv), then on PATH."""
    beside = Path(sys.executable).parent / "semgrep"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("semgrep")


def rule_files(rules: Path) -> list[Path]:
    """The rule files of ``rules`` (a file or a folder), never rule-test files beside them."""
    if rules.is_file():
        return [rules]
    return sorted(
        path
        for path in rules.iterdir()
        if path.suffix in (".yaml", ".yml")
        and path.is_file()
        and not path.name.startswith(".")
        and not path.name.endswith(_RULE_TEST_SUFFIXES)
    )


def semgrep_command(
    executable: str,
    targets: list[str],
    *,
    project_root: Path,
    rules: Path = RULES_DIR,
    sarif: bool = False,
) -> list[str]:
    command = [
        executable,
        "scan",
        # The native engine: the default command line hands over to a Python front end
        # whose start-up alone costs about 3 s per run.
        "--experimental",
        "--sarif" if sarif else "--json",
        "--quiet",
        "--metrics=off",
        "--disable-version-check",
        "--oss-only",
        "--no-rewrite-rule-ids",
        # Exclusions match paths from here, not from a git repository that may enclose it.
        f"--project-root={project_root}",
        # A repository must not be able to hide files from the analysis with its own
        # .semgrepignore or .gitignore; what is excluded is decided here.
        "--x-ignore-semgrepignore-files",
        "--no-git-ignore",
        # Per rule and file. Semgrep's 5 s default cuts taint rules short on large generated
        # API clients (18,000 lines) when the machine is busy, leaving them half analysed.
        f"--timeout={RULE_TIMEOUT_SECONDS}",
    ]
    for path in rule_files(rules):
        command.extend(("--config", str(path)))
    # Anchored below each target, so that an application named like an excluded folder
    # ("tests", "build") is still analysed.
    for target in targets:
        prefix = "" if target in ("", ".") else f"{target.rstrip('/')}/**/"
        command.extend(f"--exclude={prefix}{pattern}" for pattern in EXCLUDED_PATTERNS)
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
    """Run Semgrep over ``targets`` (paths relative to ``cwd``), silenced findings included.

    Raises ``SemgrepFailed`` when it does not finish in ``timeout`` seconds or gives no result.
    """
    if not rule_files(rules):
        # Without a --config Semgrep would fetch the registry's rules.
        raise SemgrepFailed(f"no rule files in {rules.name}")
    deadline = time.monotonic() + timeout
    command = semgrep_command(executable, targets, project_root=cwd, rules=rules)
    report = _report(_json_output(_run(command, cwd=cwd, timeout=timeout), what="a result"))
    suppressing = [path for path in report.scanned if _mentions_nosem(cwd / path)]
    if suppressing:
        # Named files are analysed whatever the exclusions say: these were analysed already.
        command = semgrep_command(
            executable, suppressing, project_root=cwd, rules=rules, sarif=True
        )
        remaining = max(deadline - time.monotonic(), 1.0)
        sarif = _json_output(_run(command, cwd=cwd, timeout=remaining), what="a SARIF result")
        report.silenced = _silenced(sarif)
    return report


def _run(command: list[str], *, cwd: Path, timeout: float) -> tuple[int, bytes, bytes]:
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
                command,
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
    return process.returncode, stdout, stderr


def _json_output(result: tuple[int, bytes, bytes], *, what: str) -> dict:
    returncode, stdout, stderr = result
    try:
        output = json.loads(stdout)
    except ValueError:
        output = None
    if not isinstance(output, dict):
        last_line = (stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
        raise SemgrepFailed(f"Semgrep exited with code {returncode} without {what}: {last_line}")
    return output


def _mentions_nosem(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return b"nosem" in handle.read(MAX_SUPPRESSION_SCAN_BYTES).lower()
    except OSError:
        return False


def _report(output: dict) -> SemgrepReport:
    scanned = [Path(p).as_posix() for p in (output.get("paths") or {}).get("scanned") or ()]
    report = SemgrepReport(scanned_files=len(scanned), scanned=scanned)
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


def _silenced(sarif: dict) -> list[SemgrepFinding]:
    """The results of a SARIF log that a nosemgrep comment silenced."""
    silenced: dict[tuple[str, int, str], SemgrepFinding] = {}
    for run in sarif.get("runs") or ():
        levels = {
            str(rule.get("id")): str((rule.get("defaultConfiguration") or {}).get("level"))
            for rule in ((run.get("tool") or {}).get("driver") or {}).get("rules") or ()
        }
        for result in run.get("results") or ():
            if not result.get("suppressions"):
                continue
            location = ((result.get("locations") or [{}])[0]).get("physicalLocation") or {}
            path = str((location.get("artifactLocation") or {}).get("uri") or "")
            line = int((location.get("region") or {}).get("startLine") or 1)
            rule_id = str(result.get("ruleId") or "")
            silenced.setdefault(
                (path, line, rule_id),
                SemgrepFinding(
                    rule_id=rule_id,
                    severity=_SARIF_LEVELS.get(levels.get(rule_id, ""), "WARNING"),
                    message=" ".join(str((result.get("message") or {}).get("text", "")).split()),
                    path=Path(path).as_posix(),
                    line=line,
                ),
            )
    return list(silenced.values())


def _problem(kind: object) -> str:
    """What a per-file Semgrep error means for the creator."""
    name = kind[0] if isinstance(kind, list) and kind else str(kind or "")
    if name in ("Timeout", "OutOfMemory"):
        return "took too long to analyse: parts of it were not analysed"
    if "pars" in name.lower() or "lexical" in name.lower() or "syntax" in name.lower():
        return "could not be fully parsed: parts of it were not analysed"
    return f"was not fully analysed ({name or 'unknown problem'})"


def superseding_rules(rules: Path) -> dict[str, tuple[str, ...]]:
    """For each rule of ``rules`` that has them, the rules its ``superseded-by`` names."""
    files = rule_files(rules)
    return _superseding_rules(tuple((path, path.stat().st_mtime_ns) for path in files))


@functools.lru_cache(maxsize=8)
def _superseding_rules(files: tuple[tuple[Path, int], ...]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for path, _ in files:
        try:
            document = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        except (OSError, YAMLError):
            continue  # Semgrep reports a rule file it cannot read
        for rule in (document or {}).get("rules") or ():
            named = ((rule or {}).get("metadata") or {}).get("superseded-by") or ()
            if named:
                found[str(rule["id"])] = tuple(str(n) for n in named)
    return found


def without_superseded(
    findings: list[SemgrepFinding],
    superseded_by: dict[str, tuple[str, ...]],
    *,
    also_reported: Sequence[SemgrepFinding] = (),
) -> list[SemgrepFinding]:
    """``findings`` less those that a rule superseding them reported on the same line.

    ``also_reported``: findings that count as reported too (the silenced ones): a creator who
    silences the ERROR of a line does not then see its WARNING instead.
    """
    reported = {(f.path, f.line, f.rule_id) for f in [*findings, *also_reported]}
    return [
        f
        for f in findings
        if not any((f.path, f.line, rule) in reported for rule in superseded_by.get(f.rule_id, ()))
    ]


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
        scope = analysis_scope(context)
        not_analysed = [
            Finding(
                type="Information",
                message=f"{a.name}: {_kind(a.type)}: not analysed, as on the hosted service.",
                application=a.name,
            )
            for a in scope.not_analysed
        ]
        targets = scope.code_targets()
        if not targets:
            summary = (
                "Only Merchant Center custom applications or views: no code to analyse."
                if not_analysed
                else "No application folder to analyse."
            )
            return CheckOutcome(status="skipped", findings=not_analysed, summary=summary)
        configured: Any = context.options.get("semgrep_timeout_seconds") or getattr(
            settings, "CONNECTORS_SEMGREP_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS
        )
        try:
            report = run_semgrep(
                sorted(targets),
                cwd=context.root,
                executable=executable,
                rules=self.rules,
                timeout=float(configured),
            )
        except SemgrepFailed as error:
            return CheckOutcome(
                status="failed",
                findings=[Finding(type="Error", message=f"Code analysis could not run: {error}.")],
                summary=str(error),
            )

        superseded_by = superseding_rules(self.rules)
        active = without_superseded(report.findings, superseded_by, also_reported=report.silenced)
        silenced = without_superseded(report.silenced, superseded_by)
        place = _Placer(scope, targets)
        findings = [
            place.finding(
                f.path,
                f.line,
                _ENTRY_TYPES.get(f.severity, "Warning"),
                f"{f.message} [{f.rule_id}]",
            )
            for f in active
        ]
        findings.sort(key=lambda f: (f.file or "", f.line or 0, f.message))
        for path, line, problem in report.unparsed[:MAX_PARSE_PROBLEMS_REPORTED]:
            findings.append(place.finding(path, line, "Information", f"{problem}."))
        silenced.sort(key=lambda f: (f.path, f.line, f.rule_id))
        findings.extend(place.silenced(f) for f in silenced)
        findings.extend(not_analysed)
        errors = sum(1 for f in findings if f.type == "Error")
        warnings = sum(1 for f in findings if f.type == "Warning")
        summary = (
            f"Semgrep analysed {report.scanned_files} files of {len(scope.analysed)} "
            f"application(s): {errors} error(s), {warnings} warning(s)"
            + (f", {len(silenced)} silenced in source." if silenced else ".")
        )
        return CheckOutcome(
            status="failed" if errors else "succeeded", findings=findings, summary=summary
        )


def _kind(application_type: str) -> str:
    if application_type == "merchant-center-custom-view":
        return "Merchant Center custom view"
    return "Merchant Center custom application"


class _Placer:
    """Names the application and the path within it of each file Semgrep reported."""

    def __init__(self, scope: AnalysisScope, targets: dict[str, str]) -> None:
        self.targets = targets
        self.folders = {a.name: a.folder for a in scope.applications}

    def finding(self, path: str, line: int, entry_type: EntryType, text: str) -> Finding:
        application, label = self._locate(path)
        prefix = f"{application}: " if application else ""
        return Finding(
            type=entry_type,
            message=f"{prefix}{label}:{line}: {text}",
            application=application,
            file=path.removeprefix("./"),
            line=line,
        )

    def silenced(self, silenced: SemgrepFinding) -> Finding:
        application, label = self._locate(silenced.path)
        prefix = f"{application}: " if application else ""
        consequence = "would fail the check: " if silenced.severity == "ERROR" else ""
        return Finding(
            type="Information",
            message=(
                f"{prefix}silenced in source: {label}:{silenced.line}: {consequence}"
                f"{silenced.message} [{silenced.rule_id}]"
            ),
            application=application,
            file=silenced.path.removeprefix("./"),
            line=silenced.line,
        )

    def _locate(self, path: str) -> tuple[str | None, str]:
        """The application whose target holds ``path`` (the longest wins) and its label."""
        path = path.removeprefix("./")
        for target in sorted(self.targets, key=len, reverse=True):
            if target == "." or path.startswith(target + "/"):
                application = self.targets[target]
                folder = self.folders.get(application, ".")
                if folder == ".":
                    return application, path
                if path.startswith(folder + "/"):
                    return application, path[len(folder) + 1 :]
                return application, path  # a local module outside the application's folder
        return None, path
