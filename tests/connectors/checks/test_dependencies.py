from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from connectors.advisory_data import sync_advisories
from connectors.checks.base import Application, CheckContext
from connectors.checks.dependencies import DependencyCheck
from connectors.pipelines import run_check_in_thread
from tests.connectors.checks import lockfile_samples as samples
from tests.connectors.checks.conftest import ADVISORIES


def _app(
    root: Path,
    name: str = "service",
    files: dict[str, str] | None = None,
    kind: str = "service",
) -> Application:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for relative, text in (files or {}).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Application(name=name, type=kind, path=folder)


def _run(root: Path, *applications: Application):
    return DependencyCheck().run(CheckContext(root=root, applications=list(applications)))


def test_high_and_critical_advisories_with_a_fix_fail_the_check(advisory_data, tmp_path):
    lock = samples.package_lock_v3({"lodash": "4.17.20", "minimist": "1.2.5", "request": "2.88.2"})
    app = _app(tmp_path, files={"package.json": "{}", "package-lock.json": lock})
    lockfile = app.path / "package-lock.json"

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    by_advisory = {
        f.message.split(" is affected by ")[1].split(" ")[0]: f for f in outcome.findings
    }
    assert set(by_advisory) == {
        "GHSA-35jh-r3h4-6jhm",
        "GHSA-29mw-wpgm-hmr9",
        "GHSA-xvch-5gv4-984h",
        "GHSA-p8p7-x288-28g6",
    }
    lodash_line = samples.line_of(lockfile, '"node_modules/lodash"')
    injection = by_advisory["GHSA-35jh-r3h4-6jhm"]
    assert injection.type == "Error"
    assert (injection.application, injection.file, injection.line) == (
        "service",
        "service/package-lock.json",
        lodash_line,
    )
    assert injection.message == (
        f"service: package-lock.json:{lodash_line}: lodash@4.17.20 is affected by "
        "GHSA-35jh-r3h4-6jhm (CVE-2021-23337), HIGH: Command Injection in lodash. "
        "Fixed in 4.17.21: upgrade lodash to 4.17.21 or later."
    )
    assert by_advisory["GHSA-xvch-5gv4-984h"].type == "Error"
    assert "CRITICAL" in by_advisory["GHSA-xvch-5gv4-984h"].message
    assert "Fixed in 1.2.6" in by_advisory["GHSA-xvch-5gv4-984h"].message
    assert by_advisory["GHSA-29mw-wpgm-hmr9"].type == "Warning"  # MODERATE
    assert by_advisory["GHSA-p8p7-x288-28g6"].type == "Warning"  # no fix
    assert "No fixed version is known yet" in by_advisory["GHSA-p8p7-x288-28g6"].message
    assert "2 advisories to fix" in outcome.summary


@pytest.mark.parametrize(
    ("file_name", "writer", "entry_text"),
    [
        ("package-lock.json", samples.package_lock_v1, '"lodash": {'),
        ("yarn.lock", samples.yarn_classic, "lodash@^4.17.20:"),
        ("yarn.lock", samples.yarn_berry, '"lodash@npm:^4.17.20":'),
        ("pnpm-lock.yaml", samples.pnpm_v9, "  lodash@4.17.20:"),
        ("pnpm-lock.yaml", samples.pnpm_v6, "/lodash@4.17.20:"),
        ("pnpm-lock.yaml", samples.pnpm_v5, "/lodash/4.17.20:"),
    ],
    ids=["npm-v1", "yarn-classic", "yarn-berry", "pnpm-v9", "pnpm-v6", "pnpm-v5"],
)
def test_every_lockfile_format_points_at_the_vulnerable_entry(
    advisory_data, tmp_path, file_name, writer, entry_text
):
    app = _app(tmp_path, files={file_name: writer({"lodash": "4.17.20", "express": "4.18.2"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    errors = [f for f in outcome.findings if f.type == "Error"]
    line = samples.line_of(app.path / file_name, entry_text)
    assert [(f.file, f.line) for f in errors] == [(f"service/{file_name}", line)]
    assert errors[0].message.startswith(f"service: {file_name}:{line}: lodash@4.17.20 ")


def test_log4shell_in_a_pom_property_fails_the_check(advisory_data, tmp_path):
    pom = samples.pom(
        [("org.apache.logging.log4j", "log4j-core", "${log4j.version}")],
        properties={"log4j.version": "2.14.1"},
    )
    app = _app(tmp_path, name="java-service", files={"pom.xml": pom})

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    (finding,) = outcome.findings
    line = samples.line_of(app.path / "pom.xml", "<dependency>")
    assert (finding.type, finding.file, finding.line) == ("Error", "java-service/pom.xml", line)
    assert finding.message.startswith(
        f"java-service: pom.xml:{line}: org.apache.logging.log4j:log4j-core@2.14.1 is affected "
        "by GHSA-jfh8-c2jp-5v3q (CVE-2021-44228), CRITICAL: Remote code injection in Log4j."
    )
    assert "Fixed in 2.15.0" in finding.message


def test_patched_versions_pass_without_findings(advisory_data, tmp_path):
    lock = samples.yarn_classic({"lodash": "4.17.21", "minimist": "1.2.8"})
    pom = samples.pom([("org.apache.logging.log4j", "log4j-core", "2.17.1")])
    app = _app(tmp_path, files={"yarn.lock": lock, "pom.xml": pom})

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    assert outcome.findings == []
    assert outcome.summary.startswith("Analysed 3 package versions from 2 lockfile(s)")


def test_moderate_advisories_only_warn(advisory_data, tmp_path):
    app = _app(tmp_path, files={"pnpm-lock.yaml": samples.pnpm_v9({"request": "2.88.2"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    assert [f.type for f in outcome.findings] == ["Warning"]
    assert "request@2.88.2 is affected by GHSA-p8p7-x288-28g6 (CVE-2023-28155), MODERATE" in (
        outcome.findings[0].message
    )


def test_high_advisory_without_a_fix_only_warns_and_unknown_severity_is_moderate(tmp_path, db):
    advisories = tmp_path / "advisories"
    advisories.mkdir()
    for advisory_id, extra in [
        ("TEST-high-no-fix", {"database_specific": {"severity": "HIGH"}}),
        ("TEST-unrated", {}),
    ]:
        record = {
            "id": advisory_id,
            "modified": "2026-11-01T00:00:00Z",
            "summary": "Made-up flaw for a test",
            "affected": [
                {
                    "package": {"ecosystem": "npm", "name": "left-pad"},
                    "ranges": [
                        {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "9.0.0"}]}
                        if advisory_id == "TEST-unrated"
                        else {"type": "SEMVER", "events": [{"introduced": "0"}]}
                    ],
                }
            ],
            **extra,
        }
        (advisories / f"{advisory_id}.json").write_text(json.dumps(record))
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"left-pad": "1.3.0"})})

    sync_advisories([str(advisories)])

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    advisory_findings = [f for f in outcome.findings if "is affected by" in f.message]
    messages = sorted(f.message for f in advisory_findings)
    assert [f.type for f in advisory_findings] == ["Warning", "Warning"]
    assert "TEST-high-no-fix, HIGH: Made-up flaw for a test. No fixed version" in messages[0]
    assert "TEST-unrated, unknown severity (treated as MODERATE)" in messages[1]


def test_package_json_without_a_lockfile_is_a_warning(advisory_data, tmp_path):
    manifest = '{\n  "name": "service",\n  "dependencies": {\n    "lodash": "^4.17.20"\n  }\n}\n'
    app = _app(tmp_path, files={"package.json": manifest, "src/index.js": ""})

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    (finding,) = outcome.findings
    assert (finding.type, finding.file, finding.line) == ("Warning", "service/package.json", 3)
    assert finding.message.startswith(
        "service: package.json:3: no lockfile (package-lock.json, yarn.lock or pnpm-lock.yaml), "
        "dependencies not analysed."
    )


def test_application_without_any_manifest_is_skipped(advisory_data, tmp_path):
    app = _app(tmp_path, files={"index.html": "<p>assets</p>"})

    outcome = _run(tmp_path, app)

    assert outcome.status == "skipped"
    assert outcome.findings == []


def test_unreadable_lockfile_is_a_warning_naming_its_line(advisory_data, tmp_path):
    app = _app(tmp_path, files={"package-lock.json": '{\n  "packages": {\n    "x": \n}\n'})

    outcome = _run(tmp_path, app)

    (finding,) = outcome.findings
    assert (finding.type, finding.file, finding.line) == ("Warning", "service/package-lock.json", 4)
    assert finding.message.startswith("service: package-lock.json:4: cannot be read")


def test_workspace_lockfile_is_analysed_once_for_the_applications_it_covers(
    advisory_data, tmp_path
):
    (tmp_path / "pnpm-lock.yaml").write_text(samples.pnpm_v9({"minimist": "1.2.5"}))
    first = _app(tmp_path, name="service", files={"package.json": '{"dependencies": {}}'})
    second = _app(tmp_path, name="job", files={"package.json": '{"dependencies": {}}'})

    outcome = _run(tmp_path, first, second)

    (finding,) = outcome.findings
    assert (finding.application, finding.file) == ("service", "pnpm-lock.yaml")
    assert finding.message.startswith("service: pnpm-lock.yaml:")


def test_check_has_the_expected_name():
    assert DependencyCheck.name == "Dependency analysis"


REAL_LOCKFILES = sorted(
    p
    for p in (Path(__file__).parent / "lockfiles").rglob("*")
    if p.is_file() and p.name != "package.json"
)


@pytest.mark.parametrize("path", REAL_LOCKFILES, ids=lambda p: p.parent.name)
def test_lockfiles_written_by_real_package_managers_fail_on_lodash_and_minimist(
    advisory_data, tmp_path, path
):
    app = _app(tmp_path, files={path.name: path.read_text(), "package.json": "{}"})
    lines = (app.path / path.name).read_text().splitlines()

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    found = {
        (f.type, f.message.split(" is affected by ")[1].split(" ")[0]): f for f in outcome.findings
    }
    assert set(found) == {
        ("Error", "GHSA-35jh-r3h4-6jhm"),
        ("Error", "GHSA-xvch-5gv4-984h"),
        ("Warning", "GHSA-29mw-wpgm-hmr9"),
    }
    lodash = found[("Error", "GHSA-35jh-r3h4-6jhm")]
    assert "lodash" in lines[lodash.line - 1]
    assert lodash.message.startswith(f"service: {path.name}:{lodash.line}: lodash@4.17.20 ")
    minimist = found[("Error", "GHSA-xvch-5gv4-984h")]
    assert "minimist" in lines[minimist.line - 1]


def test_application_folder_linking_outside_the_checkout_is_not_followed(advisory_data, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "yarn.lock").write_text(samples.yarn_classic({"lodash": "4.17.20"}))
    root = tmp_path / "repository"
    root.mkdir()
    (root / "service").symlink_to(outside)
    app = Application(name="service", type="service", path=root / "service")

    outcome = _run(root, app)

    assert outcome.status == "skipped"
    assert outcome.findings == []


def test_the_summary_says_how_old_the_advisory_data_is(advisory_data, tmp_path):
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.21"})})

    outcome = _run(tmp_path, app)

    days = (timezone.now().date() - date(2025, 8, 14)).days  # the newest record's date
    assert outcome.status == "succeeded"
    assert outcome.summary.endswith(f"; advisory data from 2025-08-14, {days} days old.")


def test_stale_advisory_data_is_a_warning_and_real_matches_still_fail(
    advisory_data, tmp_path, settings
):
    settings.CONNECTORS_ADVISORY_MAX_AGE_DAYS = 7
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.20"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    stale = [f for f in outcome.findings if f.type == "Warning" and "not matched" in f.message]
    (warning,) = stale
    assert warning.message.startswith("The advisory data from 2025-08-14, ")
    assert "(the limit is 7 days)" in warning.message
    assert "manage.py sync_advisories" in warning.message
    errors = [f.message for f in outcome.findings if f.type == "Error"]
    assert [m.split(" is affected by ")[1].split(" ")[0] for m in errors] == ["GHSA-35jh-r3h4-6jhm"]


def test_stale_advisory_data_alone_does_not_fail_the_check(advisory_data, tmp_path, settings):
    settings.CONNECTORS_ADVISORY_MAX_AGE_DAYS = 7
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.21"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    assert [f.type for f in outcome.findings] == ["Warning"]


def test_without_advisory_data_the_check_warns_and_does_not_fail(db, tmp_path):
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.20"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "skipped"
    (warning,) = outcome.findings
    assert warning.type == "Warning"
    assert warning.message.startswith("No advisory data has been synced yet")
    assert outcome.summary == (
        "Found 1 package versions in 1 lockfile(s), not matched: no advisory data has been "
        "synced yet."
    )


def test_the_check_reads_only_the_synced_tables_never_the_source(advisory_data, tmp_path, settings):
    settings.CONNECTORS_ADVISORY_SOURCE = f"http://127.0.0.1:{closed_port()}/npm/all.zip"
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"minimist": "0.2.3"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    assert "Fixed in 0.2.4" in outcome.findings[0].message


def test_a_known_malicious_package_is_always_an_error(advisory_data, tmp_path):
    lock = samples.package_lock_v3({"flatmap-stream": "0.1.1", "lodash": "4.17.21"})
    app = _app(tmp_path, files={"package.json": "{}", "package-lock.json": lock})

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    (finding,) = outcome.findings
    line = samples.line_of(app.path / "package-lock.json", '"node_modules/flatmap-stream"')
    assert (finding.type, finding.file, finding.line) == (
        "Error",
        "service/package-lock.json",
        line,
    )
    assert finding.message.startswith(
        f"service: package-lock.json:{line}: flatmap-stream@0.1.1 is a known malicious package, "
        "MAL-2025-20690: Malicious code in flatmap-stream (npm). Remove it"
    )
    assert "1 advisories to fix" in outcome.summary


def test_a_merchant_center_application_is_not_analysed_and_cannot_fail_the_run(
    advisory_data, tmp_path
):
    vulnerable = samples.package_lock_v3({"lodash": "4.17.20", "flatmap-stream": "0.1.1"})
    custom_app = _app(
        tmp_path,
        name="mc-app",
        files={"package.json": "{}", "package-lock.json": vulnerable},
        kind="merchant-center-custom-application",
    )
    service = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.21"})})

    outcome = _run(tmp_path, custom_app, service)

    assert outcome.status == "succeeded"
    (information,) = outcome.findings
    assert (information.type, information.application) == ("Information", "mc-app")
    assert information.message.startswith("mc-app: dependencies not analysed: Merchant Center")
    assert outcome.summary.startswith("Analysed 1 package versions from 1 lockfile(s)")


@pytest.mark.parametrize("kind", ["mc-app", "merchant-center-custom-view"])
def test_only_merchant_center_applications_skip_the_check(advisory_data, tmp_path, kind):
    lock = samples.package_lock_v3({"lodash": "4.17.20"})
    app = _app(tmp_path, name="view", files={"package-lock.json": lock}, kind=kind)

    outcome = _run(tmp_path, app)

    assert outcome.status == "skipped"
    assert [f.type for f in outcome.findings] == ["Information"]


def test_a_folder_no_application_deploys_is_not_analysed(advisory_data, tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "package.json").write_text("{}")
    (tools / "package-lock.json").write_text(samples.package_lock_v3({"lodash": "4.17.20"}))
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.21"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    assert outcome.findings == []
    assert outcome.summary.startswith("Analysed 1 package versions from 1 lockfile(s)")


def test_development_dependencies_are_analysed(advisory_data, tmp_path):
    document = json.loads(samples.package_lock_v3({"minimist": "1.2.5"}))
    document["packages"]["node_modules/minimist"]["dev"] = True
    lock = json.dumps(document, indent=2)
    app = _app(tmp_path, files={"package.json": "{}", "package-lock.json": lock})

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    assert "minimist@1.2.5 (dev dependency) is affected by GHSA-xvch-5gv4-984h" in (
        outcome.findings[0].message
    )


def test_a_check_run_in_a_pipeline_thread_closes_the_database_connection_it_opened(
    transactional_db, settings, tmp_path
):
    settings.CONNECTORS_ADVISORY_MAX_AGE_DAYS = 100 * 365
    sync_advisories([str(ADVISORIES)])
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.20"})})
    context = CheckContext(root=tmp_path, applications=[app])

    # A pool thread outlives the task it ran, as the pipeline's do while a run lasts.
    with ThreadPoolExecutor(max_workers=1) as pool:
        before = _connections_in_use()
        outcome, _seconds = pool.submit(run_check_in_thread, DependencyCheck(), context).result()
        after = _connections_in_use()

    assert outcome.status == "failed"
    assert after == before


def _connections_in_use() -> int:
    """Connections held open: taken from the pool, or (without a pool) server backends."""
    pool = getattr(connection, "pool", None)
    if pool is not None:
        stats = pool.get_stats()
        return stats["pool_size"] - stats["pool_available"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_configured_source_never_synced_is_a_warning(advisory_data, tmp_path, settings):
    maven = "https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip"
    settings.CONNECTORS_ADVISORY_SOURCE = f"{ADVISORIES} {maven}"
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.21"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    (warning,) = outcome.findings
    assert (warning.type, warning.message) == (
        "Warning",
        f"No advisory data has been synced yet from {maven}: its advisories are not matched. "
        "An administrator refreshes it with `manage.py sync_advisories`.",
    )
