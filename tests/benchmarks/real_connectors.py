"""Previews of real published connectors, and known problems planted in one of them.

Run:
  .venv/bin/python tests/benchmarks/real_connectors.py CORPUS [--json out.json] [--only NAME ...]
  .venv/bin/python tests/benchmarks/real_connectors.py CORPUS --plant NAME

CORPUS is a folder whose subfolders are git checkouts of connectors, each with a tag at its
HEAD (the tag the connector was published with). For each one a draft is created for the
checkout's file:// URL and that tag, and a preview is requested with the updatePreviewable
update action; Celery tasks run in place (CELERY_TASK_ALWAYS_EAGER), so the preview is the
pipeline itself: the tag is fetched and ``execute`` builds its CheckContext and runs the
default checks side by side. Published connectors pass the hosted service, so each should
preview "true"; every Error and Warning is listed, to be judged a true or a false positive.

Beside each preview: a bare ``git clone --depth 1`` of the tag plus a bare Semgrep run with
the code check's rules and command line over the folders it analyses.

``--plant NAME`` clones the checkout NAME, previews it as it is, then once per planted
problem (a copy each): ``eval(req.query.code)`` in a deployed service's source, SQL built
from request input reaching ``pool.query(...)``, an AWS key pair in deployed source, an
application that connect.yaml lists without its folder, and lodash 4.17.20 in the service's
lockfile (GHSA-35jh-r3h4-6jhm). It prints whether each was reported as an Error at its file
and line.

Database: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/workbench_real_connectors,
created and migrated when missing). Advisories: the sources ``--advisory-source`` names (OSV
export zips, URLs or folders of OSV JSON files, as CONNECTORS_ADVISORY_SOURCE takes; default:
that variable, else the test advisories in tests/connectors/checks/advisories) become the
configured sources, and ``sync_advisories`` imports them into the database before the previews
(``--no-sync`` uses what the database already holds).
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import logging
import os
import random
import re
import shutil
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/workbench_real_connectors"
DEFAULT_ADVISORIES = ROOT / "tests/connectors/checks/advisories"
PROJECT_KEY = "real-connectors"
SUMMARY_TITLE = re.compile(r"^(?P<check>.+) check (?P<status>succeeded|failed|skipped)$")
# What a finding is about, read from its message: a Semgrep rule, an advisory, a secret's kind.
KIND_PATTERNS = (
    re.compile(r"\[(?P<kind>[\w.-]+)\]\s*$"),
    re.compile(r"affected by (?P<kind>[\w-]+)"),
    re.compile(r"possible secret(?: committed)? \((?P<kind>[^,)]+)"),
)
SHORT_NAMES = {
    "Connector specification file validation": "spec",
    "Repository structure": "structure",
    "Dependency analysis": "deps",
    "Code analysis": "code",
    "Secret scanning": "secrets",
    "Build": "build",
    "Unit test": "tests",
}


# --- set-up ------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder of connector git checkouts")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these subfolders")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument(
        "--advisory-source",
        action="append",
        metavar="SOURCE",
        help="advisory data for the dependency check (OSV export zip, URL or folder); repeatable",
    )
    parser.add_argument(
        "--no-sync", action="store_true", help="do not import the advisory sources first"
    )
    parser.add_argument(
        "--compare", type=Path, metavar="FILE", help="a --json file of an earlier run: show changes"
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the bare clone + Semgrep")
    parser.add_argument(
        "--plant", metavar="NAME", help="plant known problems in a copy of this checkout"
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"{args.corpus} is not a folder")
    if args.compare and not args.compare.is_file():
        parser.error(f"{args.compare} is not a file")
    if args.plant and not (args.corpus / args.plant / ".git").exists():
        parser.error(f"{args.corpus / args.plant} is not a git checkout")
    return args


def configure(args: argparse.Namespace) -> None:
    """Environment for the pipeline, then Django against a migrated database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["CONNECTORS_ALLOW_LOCAL_REPOSITORIES"] = "true"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    sources = args.advisory_source or [
        os.environ.get("CONNECTORS_ADVISORY_SOURCE") or str(DEFAULT_ADVISORIES)
    ]
    os.environ["CONNECTORS_ADVISORY_SOURCE"] = " ".join(sources)
    _ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command, get_commands

    call_command("migrate", verbosity=0)
    if not args.no_sync and "sync_advisories" in get_commands():
        call_command("sync_advisories")  # the dependency check reads the imported tables
    # Tasks run in place: the broker is never used, and each task's log line is noise here.
    logging.getLogger("celery").setLevel(logging.WARNING)
    logging.getLogger("kombu").setLevel(logging.ERROR)


def _ensure_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return
    server = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or "postgres",
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**server, autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not found:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


# --- one preview -------------------------------------------------------------------------------


@dataclass
class CheckResult:
    name: str
    status: str
    errors: int = 0
    warnings: int = 0
    information: int = 0
    seconds: float | None = None


@dataclass
class FindingRow:
    check: str
    type: str
    file: str | None
    line: int | None
    kind: str
    message: str


@dataclass
class Preview:
    repository: str
    tag: str
    commit: str
    verdict: str  # "true", "false", or "refused" (no draft) / "error" (the run did not end)
    seconds: float = 0.0
    fetch_seconds: float | None = None
    checks: list[CheckResult] = field(default_factory=list)
    findings: list[FindingRow] = field(default_factory=list)
    problem: str | None = None  # why there is no verdict
    floor_clone_seconds: float | None = None
    floor_semgrep_seconds: float | None = None
    floor_targets: list[str] = field(default_factory=list)

    @property
    def floor_seconds(self) -> float | None:
        if self.floor_clone_seconds is None or self.floor_semgrep_seconds is None:
            return None
        return self.floor_clone_seconds + self.floor_semgrep_seconds


def git(checkout: Path, *arguments: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(checkout), *arguments], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def head_tag(checkout: Path) -> str:
    """The newest tag at HEAD ("latest"-style moving tags only when nothing else is there)."""
    tags = git(checkout, "tag", "--points-at", "HEAD", "--sort=-creatordate").split()
    versions = [t for t in tags if t != "latest"]
    return (versions or tags or [""])[0]


def preview(name: str, checkout: Path, tag: str, url: str) -> Preview:
    """Create a draft for ``url`` (``checkout``) at ``tag``; run its preview in this process."""
    from connectors.errors import ConnectError
    from connectors.models import ConnectorStaged, PipelineRun, ReportEntry
    from connectors.schemas import ConnectorStagedDraft, UpdatePreviewable
    from connectors.services import create_draft, delete_draft, ensure_project
    from connectors.state import Report
    from connectors.update_actions import Actor, apply_update_actions

    commit = git(checkout, "rev-parse", f"refs/tags/{tag}^{{commit}}")
    result = Preview(repository=name, tag=tag, commit=commit[:12], verdict="error")
    project = ensure_project(key=PROJECT_KEY)
    actor = Actor(label="real-connectors benchmark")
    try:
        draft = create_draft(
            project=project,
            draft=ConnectorStagedDraft.model_validate(
                {
                    "key": f"rc-{uuid.uuid4().hex[:16]}",
                    "name": name[:256],
                    "creator": {"email": "benchmark@example.com"},
                    "repository": {"url": url, "tag": tag},
                }
            ),
            actor=actor,
        )
    except ConnectError as error:
        result.verdict, result.problem = "refused", refusal(error)
        return result
    try:
        started = time.perf_counter()
        try:
            apply_update_actions(
                projects=project,
                version=draft.version,
                actions=[UpdatePreviewable(action="updatePreviewable")],
                actor=actor,
                id=str(draft.id),
            )
        except Exception as error:
            result.problem = f"the preview raised {type(error).__name__}: {error}"
        result.seconds = time.perf_counter() - started
        draft = ConnectorStaged.objects.get(id=draft.id)
        if draft.is_previewable in ("true", "false"):
            result.verdict = draft.is_previewable
        elif result.problem is None:
            result.problem = f"isPreviewable is {draft.is_previewable!r} after the preview"
        run = PipelineRun.objects.filter(id=draft.preview_run_id).first()
        timings = dict(run.timings or {}) if run else {}
        result.fetch_seconds = timings.get("fetch")
        entries = ReportEntry.objects.filter(draft_id=draft.id, report=Report.PREVIEW)
        read_entries(result, entries.order_by("id"), timings)
    finally:
        delete_draft(projects=project, actor=actor, id=str(draft.id))
    return result


def refusal(error) -> str:
    """The error's code and each detail, as the API would show them."""
    details = [e.as_error() for e in getattr(error, "errors", [error])]
    return "; ".join(f"{d['code']}: {d.get('detailed') or d['message']}" for d in details)


def local_url(checkout: Path, links: Path) -> str:
    """A file:// URL for ``checkout`` that the API accepts (its pattern has no '+')."""
    name = re.sub(r"[^\w.@-]", "--", checkout.name)
    link = links / name
    if not link.exists():
        link.symlink_to(checkout.resolve())
    return link.as_uri()


def read_entries(result: Preview, entries, timings: dict[str, float]) -> None:
    """Per-check status and counts, and the findings, from the report's entries.

    Each check writes its summary entry first, then one entry per finding titled with its
    name; an Error entry under any other title (a fetch that failed, an internal error) is
    kept as a finding of the pipeline itself.
    """
    by_name: dict[str, CheckResult] = {}
    for entry in entries:
        summary = SUMMARY_TITLE.match(entry.title)
        if summary and entry.file is None and summary["check"] not in by_name:
            check = summary["check"]
            by_name[check] = CheckResult(check, summary["status"], seconds=timings.get(check))
            continue
        check_result = by_name.get(entry.title)
        if check_result is not None:
            check_result.errors += entry.type == "Error"
            check_result.warnings += entry.type == "Warning"
            check_result.information += entry.type == "Information"
        elif entry.type != "Error":
            continue  # "Preview started" and the like
        if entry.type in ("Error", "Warning"):
            result.findings.append(
                FindingRow(
                    check=entry.title,
                    type=entry.type,
                    file=entry.file,
                    line=entry.line,
                    kind=finding_kind(entry.title, entry.message or ""),
                    message=entry.message or "",
                )
            )
    result.checks = list(by_name.values())


def finding_kind(check: str, message: str) -> str:
    for pattern in KIND_PATTERNS:
        found = pattern.search(message)
        if found:
            return found["kind"]
    return SHORT_NAMES.get(check, check)


# --- the floor: a bare clone and a bare Semgrep run --------------------------------------------


def code_targets(root: Path) -> list[str]:
    """The folders the code check gives Semgrep, for a checkout at ``root``."""
    from connectors import pipelines
    from connectors.checks import code
    from connectors.checks.base import CheckContext

    context = CheckContext(
        root=root,
        applications=pipelines._applications(root, None),
        spec=pipelines._load_spec(root),
    )
    if hasattr(code, "analysis_scope"):  # the check reads each application's scoped sources
        return sorted(code.analysis_scope(context).code_targets())
    return sorted(code._application_folders(context))


def measure_floor(result: Preview, url: str) -> None:
    from connectors.checks.code import find_semgrep, semgrep_command

    with tempfile.TemporaryDirectory(prefix="real-connectors-floor-") as scratch:
        root = Path(scratch) / "r"
        started = time.perf_counter()
        subprocess.run(
            ["git", "-c", "advice.detachedHead=false", "clone", "--quiet", "--depth", "1"]
            + ["--branch", result.tag, "--", url, str(root)],
            check=True,
        )
        result.floor_clone_seconds = time.perf_counter() - started
        result.floor_targets = code_targets(root)
        executable = find_semgrep()
        if not executable or not result.floor_targets:
            return
        command = semgrep_command(executable, result.floor_targets, project_root=root)
        started = time.perf_counter()
        subprocess.run(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result.floor_semgrep_seconds = time.perf_counter() - started


# --- printing ----------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def check_cell(check: CheckResult) -> str:
    status = {"succeeded": "ok", "failed": "FAIL", "skipped": "skip"}.get(check.status, "?")
    return f"{SHORT_NAMES.get(check.name, check.name)} {status} E{check.errors} W{check.warnings}"


def print_table(results: list[Preview]) -> None:
    print(
        f"\n{'repository':58} {'tag':16} {'preview':7} {'time s':>6} {'fetch':>5} "
        f"{'floor s':>7} {'clone':>5} {'semgrep':>7} {'code s':>6}  checks"
    )
    for r in results:
        code = next((c.seconds for c in r.checks if c.name == "Code analysis"), None)
        cells = " | ".join(check_cell(c) for c in r.checks) or (r.problem or "")
        print(
            f"{r.repository[:58]:58} {r.tag[:16]:16} {r.verdict:7} {seconds(r.seconds):>6} "
            f"{seconds(r.fetch_seconds):>5} {seconds(r.floor_seconds):>7} "
            f"{seconds(r.floor_clone_seconds):>5} {seconds(r.floor_semgrep_seconds):>7} "
            f"{seconds(code):>6}  {cells}"
        )
    print("\neach check's own time, s (they run side by side):")
    for r in results:
        times = " | ".join(
            f"{SHORT_NAMES.get(c.name, c.name)} {seconds(c.seconds)}" for c in r.checks
        )
        print(f"  {r.repository[:58]:58} {times}")
    for r in results:
        if not r.findings and not r.problem:
            continue
        print(f"\n{r.repository} @ {r.tag} ({r.commit}): preview {r.verdict}")
        if r.problem:
            print(f"  !! {r.problem}")
        for f in r.findings:
            where = f"{f.file or '-'}:{f.line}" if f.line else (f.file or "-")
            text = " ".join(f.message.split())
            print(f"  {f.type:7} {SHORT_NAMES.get(f.check, f.check):9} {where}  [{f.kind}]")
            # A build step's message ends with its output's last lines: keep both ends.
            shown = text if len(text) <= 600 else f"{text[:250]} … {text[-350:]}"
            print(f"          {shown}")
    previews = [r for r in results if r.verdict in ("true", "false")]
    if previews:
        total = sum(r.seconds for r in previews)
        floors = [r.floor_seconds for r in previews if r.floor_seconds is not None]
        passed = sum(r.verdict == "true" for r in previews)
        line = f"\n{passed} of {len(results)} previewed true; previews took {total:.1f} s in all"
        if floors:
            line += f", their floors {sum(floors):.1f} s"
        print(line + ".")


def print_changes(earlier_file: Path, results: list[Preview]) -> None:
    """Verdicts that changed and findings that came or went since an earlier --json run."""
    earlier = {r["repository"]: r for r in json.loads(earlier_file.read_text(encoding="utf-8"))}

    def keys(findings: list[dict]) -> Counter:
        return Counter(
            (f["check"], f["type"], f["file"] or "-", f["line"] or 0, f["kind"]) for f in findings
        )

    print(f"\nchanges since {earlier_file}:")
    changed = 0
    for result in results:
        before = earlier.get(result.repository)
        if before is None:
            print(f"  {result.repository}: not in the earlier run")
            continue
        now = keys([asdict(f) for f in result.findings])
        then = keys(before["findings"])
        gone, came = then - now, now - then
        if before["verdict"] == result.verdict and not gone and not came:
            continue
        changed += 1
        print(
            f"  {result.repository}: preview {before['verdict']} -> {result.verdict}, "
            f"{sum(gone.values())} finding(s) gone, {sum(came.values())} new"
        )
        for sign, found in (("-", gone), ("+", came)):
            for check, kind_of_entry, file, line, kind in sorted(found.elements()):
                where = f"{file}:{line}" if line else file
                name = SHORT_NAMES.get(check, check)
                print(f"      {sign} {kind_of_entry:7} {name:9} {where}  [{kind}]")
    if not changed:
        print("  none")


# --- planting known problems -------------------------------------------------------------------


@dataclass
class Plant:
    name: str
    file: str  # where it must be reported, relative to the repository root
    lines: tuple[int, ...]  # the lines a report may point at, the likeliest first
    also: tuple[str, ...] = ()  # other files that point at the same problem (no line)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise LookupError(f"{needle!r} is not in {path}")


BACKEND_TYPES = ("service", "event", "job")  # deployed as running code, services first


def _service(root: Path):
    """The application to plant in: a service (else an event or job application) with a
    folder, preferring one with a lockfile."""
    from connectors import pipelines

    backends = sorted(
        (
            a
            for a in pipelines._applications(root, None)
            if a.type in BACKEND_TYPES and a.path.is_dir()
        ),
        key=lambda a: BACKEND_TYPES.index(a.type),
    )
    if not backends:
        raise SystemExit("the connector to plant in has no service, event or job folder")
    locked = [a for a in backends if _lockfile(a.path)]
    return (locked or backends)[0]


def _lockfile(folder: Path) -> Path | None:
    for name in ("package-lock.json", "yarn.lock"):
        if (folder / name).is_file():
            return folder / name
    return None


def _source_folder(application) -> tuple[Path, str]:
    """The service's source folder and the extension most of its source files have."""
    source = application.path / "src"
    source = source if source.is_dir() else application.path
    found = Counter(
        p.suffix
        for p in source.rglob("*")
        if p.suffix in (".ts", ".js") and "node_modules" not in p.parts
    )
    return source, (found.most_common(1)[0][0] if found else ".js")


def _add_source(root: Path, name: str, lines: list[str]) -> str:
    """A new file in the service's source folder; its path from the repository root."""
    source, extension = _source_folder(_service(root))
    path = source / f"{name}{extension}"
    _write(path, "\n".join(lines) + "\n")
    return path.relative_to(root).as_posix()


def plant_eval(root: Path) -> Plant:
    path = _add_source(
        root,
        "handlers/run-snippet",
        [
            "// Evaluates the expression a caller sends.",
            "export function runSnippet(req, res) {",
            "  const result = eval(req.query.code);",
            "  res.json({ result });",
            "}",
        ],
    )
    return Plant("eval(req.query.code) in deployed source", path, (3,))


def plant_sql(root: Path) -> Plant:
    path = _add_source(
        root,
        "handlers/find-orders",
        [
            "import { Pool } from 'pg';",
            "",
            "const pool = new Pool();",
            "",
            "export async function findOrders(req, res) {",
            '  const sql = "SELECT * FROM orders WHERE customer_id = \'" + req.query.customer + "\'";',
            "  const result = await pool.query(sql);",
            "  res.json(result.rows);",
            "}",
        ],
    )
    return Plant("SQL from request input to pool.query", path, (7, 6))


def plant_aws_keys(root: Path) -> Plant:
    # The shape of a real key pair (not AWS's documented example), made here so that no key
    # is written in this file.
    chooser = random.Random(20240607)
    key_id = "AKIA" + "".join(chooser.choice(string.ascii_uppercase + "234567") for _ in range(16))
    secret = "".join(chooser.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
    path = _add_source(
        root,
        "storage/s3-client",
        [
            "export const storageConfiguration = {",
            "  region: 'eu-west-1',",
            f"  accessKeyId: '{key_id}',",
            f"  secretAccessKey: '{secret}',",
            "};",
        ],
    )
    return Plant("AWS key pair in deployed source", path, (3, 4))


def plant_missing_application(root: Path) -> Plant:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    path = root / "connect.yaml"
    spec = yaml.load(path.read_text(encoding="utf-8"))
    name = "planted-missing-service"
    service = _service(root).name
    entry = copy.deepcopy(next(e for e in spec["deployAs"] if e.get("name") == service))
    entry["name"] = name
    if "endpoint" in entry:
        entry["endpoint"] = f"/{name}"
    spec["deployAs"].append(entry)
    out = io.StringIO()
    yaml.dump(spec, out)
    path.write_text(out.getvalue(), encoding="utf-8")
    return Plant(
        "connect.yaml lists a missing application folder",
        "connect.yaml",
        (_line_of(path, f"name: {name}"),),
        also=(f"{name}/", name),
    )


def plant_vulnerable_lockfile(root: Path) -> Plant:
    application = _service(root)
    lockfile = _lockfile(application.path)
    if lockfile is None:
        raise SystemExit(f"{application.name} has no package-lock.json or yarn.lock to plant in")
    manifest = application.path / "package.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        data.setdefault("dependencies", {})["lodash"] = "4.17.20"
        manifest.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    resolved = "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"
    if lockfile.name == "yarn.lock":
        text = lockfile.read_text(encoding="utf-8").rstrip("\n")
        lockfile.write_text(
            f'{text}\n\nlodash@4.17.20:\n  version "4.17.20"\n  resolved "{resolved}"\n',
            encoding="utf-8",
        )
        lines: tuple[int, ...] = (_line_of(lockfile, "lodash@4.17.20:"),)
    else:
        data = json.loads(lockfile.read_text(encoding="utf-8"))
        if isinstance(data.get("packages"), dict):
            data["packages"].setdefault("", {}).setdefault("dependencies", {})["lodash"] = "4.17.20"
            data["packages"]["node_modules/lodash"] = {"version": "4.17.20", "resolved": resolved}
        if isinstance(data.get("dependencies"), dict):
            data["dependencies"]["lodash"] = {"version": "4.17.20", "resolved": resolved}
        lockfile.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        text = lockfile.read_text(encoding="utf-8").splitlines()
        lines = tuple(
            number
            for number, line in enumerate(text, start=1)
            if line.strip() in ('"node_modules/lodash": {', '"lodash": {')
            and number < len(text)
            and '"4.17.20"' in text[number]
        )
    return Plant(
        "lodash 4.17.20 in the lockfile (GHSA-35jh-r3h4-6jhm)",
        lockfile.relative_to(root).as_posix(),
        lines,
    )


PLANTS = (
    plant_eval,
    plant_sql,
    plant_aws_keys,
    plant_missing_application,
    plant_vulnerable_lockfile,
)


def judge(plant: Plant, result: Preview, baseline: Preview) -> str:
    """caught (an Error at its file and line), elsewhere (an Error naming it), or missed."""
    before = {(f.file, f.line, f.kind) for f in baseline.findings}
    new = [f for f in result.findings if (f.file, f.line, f.kind) not in before]
    errors = [f for f in new if f.type == "Error"]
    exact = [f for f in errors if f.file == plant.file and f.line in plant.lines]
    if exact:
        return f"caught: {describe(exact[0])}"
    near = [
        f
        for f in errors
        if f.file == plant.file or f.file in plant.also or any(a in f.message for a in plant.also)
    ]
    if near:
        return f"elsewhere: {describe(near[0])}"
    warned = [f for f in new if f.file == plant.file]
    if warned:
        return f"missed (only a {warned[0].type}: {describe(warned[0])})"
    return "missed"


def describe(finding: FindingRow) -> str:
    where = f"{finding.file}:{finding.line}" if finding.line else str(finding.file)
    return (
        f"{finding.type} {SHORT_NAMES.get(finding.check, finding.check)} {where} [{finding.kind}]"
    )


def run_plants(corpus: Path, name: str) -> list[Preview]:
    source = corpus / name
    tag = head_tag(source)
    if not tag:
        raise SystemExit(f"{source} has no tag at HEAD")
    work = Path(tempfile.mkdtemp(prefix="real-connectors-plant-"))
    results: list[Preview] = []
    rows: list[tuple[Plant, str, str]] = []
    try:
        base = work / "as-published"
        _clone(source, tag, base)
        baseline = preview(f"{name} (as published)", base, tag, base.as_uri())
        results.append(baseline)
        for planter in PLANTS:
            copy_path = work / planter.__name__
            _clone(source, tag, copy_path)
            plant = planter(copy_path)
            planted_tag = f"planted-{planter.__name__.removeprefix('plant_')}"
            _commit_and_tag(copy_path, planted_tag, plant.name)
            result = preview(f"{name} + {plant.name}", copy_path, planted_tag, copy_path.as_uri())
            results.append(result)
            rows.append((plant, judge(plant, result, baseline), result.verdict))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    print(f"\nplanted in {name} @ {tag} (as published: preview {baseline.verdict}):")
    for plant, outcome, verdict in rows:
        where = f"{plant.file}:{'/'.join(map(str, plant.lines)) or '?'}"
        print(f"  {plant.name:52} {where:60} preview {verdict:5}  {outcome}")
    caught = sum(outcome.startswith("caught") for _, outcome, _ in rows)
    print(f"\n{caught} of {len(rows)} planted problems caught at their file and line.")
    return results


def _clone(source: Path, tag: str, target: Path) -> None:
    subprocess.run(
        ["git", "-c", "advice.detachedHead=false", "clone", "--quiet", "--branch", tag]
        + ["--", str(source), str(target)],
        check=True,
    )


def _commit_and_tag(checkout: Path, tag: str, message: str) -> None:
    identity = ["-c", "user.name=benchmark", "-c", "user.email=benchmark@example.com"]
    subprocess.run(["git", "-C", str(checkout), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(checkout), *identity, "commit", "--quiet", "-m", message], check=True
    )
    subprocess.run(["git", "-C", str(checkout), "tag", tag], check=True)


# --- main --------------------------------------------------------------------------------------


def run_corpus(corpus: Path, names: list[str] | None, *, floor: bool) -> list[Preview]:
    results: list[Preview] = []
    names = names or sorted(p.name for p in corpus.iterdir() if (p / ".git").exists())
    with tempfile.TemporaryDirectory(prefix="real-connectors-") as links:
        for name in names:
            checkout = corpus / name
            tag = head_tag(checkout)
            if not tag:
                print(f"{name}: no tag at HEAD, skipped", flush=True)
                continue
            url = local_url(checkout, Path(links))
            result = preview(name, checkout, tag, url)
            if floor and result.verdict != "refused":
                measure_floor(result, url)
            results.append(result)
            print(
                f"{name} @ {tag}: preview {result.verdict} in {result.seconds:.1f} s, "
                f"{len(result.findings)} error/warning finding(s), floor {seconds(result.floor_seconds)} s",
                flush=True,
            )
    print_table(results)
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    configure(args)
    print(f"advisories: {os.environ['CONNECTORS_ADVISORY_SOURCE']}", flush=True)
    if args.plant:
        results = run_plants(args.corpus, args.plant)
    else:
        results = run_corpus(args.corpus, args.only, floor=not args.no_floor)
    if args.compare:
        print_changes(args.compare, results)
    if args.json:
        payload = [asdict(r) | {"floor_seconds": r.floor_seconds} for r in results]
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
