from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from connectors.checks.advisories import TransientCheckError
from connectors.checks.base import Application, CheckContext
from connectors.checks.dependencies import DependencyCheck
from tests.connectors.checks import lockfile_samples as samples

FIXTURES = Path(__file__).parent / "advisories"


def _app(root: Path, name: str = "service", files: dict[str, str] | None = None) -> Application:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for relative, text in (files or {}).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Application(name=name, type="service", path=folder)


def _run(root: Path, *applications: Application, source: Path | str = FIXTURES):
    context = CheckContext(
        root=root, applications=list(applications), options={"advisory_source": str(source)}
    )
    return DependencyCheck().run(context)


def test_high_and_critical_advisories_with_a_fix_fail_the_check(tmp_path):
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
    tmp_path, file_name, writer, entry_text
):
    app = _app(tmp_path, files={file_name: writer({"lodash": "4.17.20", "express": "4.18.2"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "failed"
    errors = [f for f in outcome.findings if f.type == "Error"]
    line = samples.line_of(app.path / file_name, entry_text)
    assert [(f.file, f.line) for f in errors] == [(f"service/{file_name}", line)]
    assert errors[0].message.startswith(f"service: {file_name}:{line}: lodash@4.17.20 ")


def test_log4shell_in_a_pom_property_fails_the_check(tmp_path):
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


def test_patched_versions_pass_without_findings(tmp_path):
    lock = samples.yarn_classic({"lodash": "4.17.21", "minimist": "1.2.8"})
    pom = samples.pom([("org.apache.logging.log4j", "log4j-core", "2.17.1")])
    app = _app(tmp_path, files={"yarn.lock": lock, "pom.xml": pom})

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    assert outcome.findings == []
    assert outcome.summary.startswith("Analysed 3 package versions from 2 lockfile(s)")


def test_moderate_advisories_only_warn(tmp_path):
    app = _app(tmp_path, files={"pnpm-lock.yaml": samples.pnpm_v9({"request": "2.88.2"})})

    outcome = _run(tmp_path, app)

    assert outcome.status == "succeeded"
    assert [f.type for f in outcome.findings] == ["Warning"]
    assert "request@2.88.2 is affected by GHSA-p8p7-x288-28g6 (CVE-2023-28155), MODERATE" in (
        outcome.findings[0].message
    )


def test_high_advisory_without_a_fix_only_warns_and_unknown_severity_is_moderate(tmp_path):
    advisories = tmp_path / "advisories"
    advisories.mkdir()
    for advisory_id, extra in [
        ("TEST-high-no-fix", {"database_specific": {"severity": "HIGH"}}),
        ("TEST-unrated", {}),
    ]:
        record = {
            "id": advisory_id,
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

    outcome = _run(tmp_path, app, source=advisories)

    assert outcome.status == "succeeded"
    messages = sorted(f.message for f in outcome.findings)
    assert [f.type for f in outcome.findings] == ["Warning", "Warning"]
    assert "TEST-high-no-fix, HIGH: Made-up flaw for a test. No fixed version" in messages[0]
    assert "TEST-unrated, unknown severity (treated as MODERATE)" in messages[1]


def test_package_json_without_a_lockfile_is_a_warning(tmp_path):
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


def test_application_without_any_manifest_is_skipped(tmp_path):
    app = _app(tmp_path, files={"index.html": "<p>assets</p>"})

    outcome = _run(tmp_path, app)

    assert outcome.status == "skipped"
    assert outcome.findings == []


def test_unreadable_lockfile_is_a_warning_naming_its_line(tmp_path):
    app = _app(tmp_path, files={"package-lock.json": '{\n  "packages": {\n    "x": \n}\n'})

    outcome = _run(tmp_path, app)

    (finding,) = outcome.findings
    assert (finding.type, finding.file, finding.line) == ("Warning", "service/package-lock.json", 4)
    assert finding.message.startswith("service: package-lock.json:4: cannot be read")


def test_workspace_lockfile_is_analysed_once_for_the_applications_it_covers(tmp_path):
    (tmp_path / "pnpm-lock.yaml").write_text(samples.pnpm_v9({"minimist": "1.2.5"}))
    first = _app(tmp_path, name="service", files={"package.json": '{"dependencies": {}}'})
    second = _app(tmp_path, name="job", files={"package.json": '{"dependencies": {}}'})

    outcome = _run(tmp_path, first, second)

    (finding,) = outcome.findings
    assert (finding.application, finding.file) == ("service", "pnpm-lock.yaml")
    assert finding.message.startswith("service: pnpm-lock.yaml:")


def test_advisory_source_defaults_to_the_setting(tmp_path, settings):
    settings.CONNECTORS_ADVISORY_SOURCE = str(FIXTURES)
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"minimist": "0.2.3"})})

    outcome = DependencyCheck().run(CheckContext(root=tmp_path, applications=[app]))

    assert outcome.status == "failed"
    assert "Fixed in 0.2.4" in outcome.findings[0].message


def test_unreachable_advisory_api_raises_a_transient_error(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.20"})})

    with pytest.raises(TransientCheckError):
        _run(tmp_path, app, source=f"http://127.0.0.1:{port}")


def test_check_has_the_expected_name():
    assert DependencyCheck.name == "Dependency analysis"


REAL_LOCKFILES = sorted(
    p
    for p in (Path(__file__).parent / "lockfiles").rglob("*")
    if p.is_file() and p.name != "package.json"
)


@pytest.mark.parametrize("path", REAL_LOCKFILES, ids=lambda p: p.parent.name)
def test_lockfiles_written_by_real_package_managers_fail_on_lodash_and_minimist(tmp_path, path):
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


def test_application_folder_linking_outside_the_checkout_is_not_followed(tmp_path):
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


def test_missing_advisory_folder_fails_the_check_with_a_clear_error(tmp_path):
    app = _app(tmp_path, files={"yarn.lock": samples.yarn_classic({"lodash": "4.17.21"})})

    outcome = _run(tmp_path, app, source=tmp_path / "no-advisories")

    assert outcome.status == "failed"
    (finding,) = outcome.findings
    assert finding.type == "Error"
    assert finding.message.startswith("Dependency analysis could not run: advisory folder ")
