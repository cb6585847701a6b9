"""The Build and Unit test checks on small connectors of our own, in real git repositories.

Everything runs for real: bwrap, npm with the npm registry (one tiny package), Maven with
the plugins this machine already has. Each test gets its own build cache unless it is about
the cache.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import pipelines, samples
from connectors.checks.base import CheckContext, CheckOutcome
from connectors.checks.build import build_checks, last_lines, plain_text
from tests.connectors.checks.build_samples import (
    JOB_SOURCE,
    JOB_TEST,
    MS,
    SERVICE_SOURCE,
    SERVICE_TEST,
    connect_yaml,
    good_connector,
    node_application,
    one_service,
    package_json,
    package_lock,
    reachable_folder,
    workspaces,
)

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")

# --- fixtures (the build cache is conftest's) ----------------------------------------------------


@pytest.fixture
def repository(tmp_path):
    counter = iter(range(1000))

    def make(files: dict[str, str]) -> Path:
        made = samples.create_repository(tmp_path / f"repo-{next(counter)}", files)
        return made.path

    return make


def context_for(root: Path, **options) -> CheckContext:
    return CheckContext(
        root=root,
        applications=pipelines._applications(root, None),
        spec=pipelines._load_spec(root),
        options=dict(options),
    )


def run_build_and_tests(root: Path, **options) -> tuple[CheckOutcome, CheckOutcome]:
    build, tests = build_checks()
    context = context_for(root, **options)
    return build.run(context), tests.run(context)


def messages(outcome: CheckOutcome) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for finding in outcome.findings:
        found.setdefault(finding.application or "", []).append((finding.type, finding.message))
    return found


# --- Node -----------------------------------------------------------------------------------------


def test_a_connector_that_builds_and_passes_its_tests_succeeds_with_durations(
    build_cache, repository
):
    built, tested = run_build_and_tests(repository(good_connector()))
    assert built.status == "succeeded", built.findings
    assert tested.status == "succeeded", tested.findings
    found = messages(built)
    assert found["service"][0][0] == "Information"
    assert "built with Node" in found["service"][0][1] and "install" in found["service"][0][1]
    assert "installed (no build script)" in found["job"][0][1]
    assert "3 of 3 applications built" in built.summary
    assert "service: install" in built.summary and "build" in built.summary
    tests = messages(tested)
    assert "tests passed in" in tests["service"][0][1]
    assert "tests passed in" in tests["job"][0][1]
    assert "no test script" in tests["assets"][0][1]  # npm's placeholder is no test
    assert "Tests passed in 2, failed in 0 of 3 applications" in tested.summary
    assert workspaces(build_cache) == []  # removed before the Unit test check reports


def test_a_build_that_fails_names_the_application_step_command_and_output(build_cache, repository):
    broken = "'use strict';\nfunction retryDelay(attempt {\n  return 1;\n}\n"
    built, tested = run_build_and_tests(repository(one_service(sources={"index.js": broken})))
    assert built.status == "failed"
    ((kind, message),) = [m for m in messages(built)["service"] if m[0] == "Error"]
    assert message.startswith("service: the build step failed (exit code 1)")
    assert "`npm run build`" in message
    assert "SyntaxError" in message  # from the last lines of node --check's output
    assert tested.status == "skipped"
    assert messages(tested)["service"] == [("Warning", "service: tests not run: the build failed.")]


def test_failing_tests_fail_the_unit_test_check_with_the_assertion(build_cache, repository):
    failing = SERVICE_TEST.replace("8000", "9000")
    built, tested = run_build_and_tests(repository(one_service(sources={"index.test.js": failing})))
    assert built.status == "succeeded"
    assert tested.status == "failed"
    ((kind, message),) = messages(tested)["service"]
    assert kind == "Error"
    assert message.startswith("service: the test step failed (exit code 1)")
    assert "`npm run test`" in message
    assert "9000" in message and "8000" in message  # the assertion's values, from the output
    assert "Tests passed in 0, failed in 1" in tested.summary


def test_a_second_build_of_the_same_lockfile_installs_nothing(build_cache, repository):
    root = repository(one_service())
    first, _ = run_build_and_tests(root)
    assert "(from the build cache)" not in first.summary
    second, tested = run_build_and_tests(root)
    assert second.status == "succeeded" and tested.status == "succeeded"
    assert "(from the build cache)" in second.summary
    entries = [e for e in (build_cache / "installs").iterdir() if not e.name.startswith(".")]
    assert len(entries) == 1
    changed = repository(one_service(scripts={"start": "node src/index.js"}))
    third, _ = run_build_and_tests(changed)  # another package.json: another install
    assert "(from the build cache)" not in third.summary


@pytest.mark.skipif(os.geteuid() != 0, reason="cached files are frozen by a root worker only")
def test_a_build_cannot_change_the_cached_install_other_runs_get(build_cache, repository):
    tamper = (
        "node -e \"require('fs').appendFileSync('node_modules/ms/index.js', 'POISONED')\" && "
        "node --check src/index.js"
    )
    root = repository(one_service(scripts={"build": tamper}))
    run_build_and_tests(root)  # fills the cache
    built, _ = run_build_and_tests(root)  # restores from it, then tries to change it
    assert "(from the build cache)" in built.summary
    assert built.status == "failed"
    assert "EACCES" in str(built.findings)
    cached = next(p for p in (build_cache / "installs").rglob("ms/index.js"))
    assert b"POISONED" not in cached.read_bytes()
    assert cached.stat().st_uid == 0
    assert not cached.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def test_a_missing_lockfile_installs_afresh_with_a_warning(build_cache, repository):
    files = one_service()
    del files["service/package-lock.json"]
    built, tested = run_build_and_tests(repository(files))
    assert built.status == "succeeded", built.findings
    warnings = [m for t, m in messages(built)["service"] if t == "Warning"]
    assert warnings and "has no lockfile" in warnings[0]
    assert tested.status == "succeeded"


def test_an_invalid_package_json_is_a_clear_build_error(build_cache, repository):
    files = one_service()
    files["service/package.json"] = "{ not json"
    built, _ = run_build_and_tests(repository(files))
    assert built.status == "failed"
    ((kind, message),) = messages(built)["service"]
    assert "service/package.json is not valid JSON" in message


def test_the_application_s_own_postinstall_script_runs_without_network(build_cache, repository):
    postinstall = (
        "node -e \"require('https').get('https://registry.npmjs.org/ms', () => "
        "console.log('REACHED')).on('error', e => console.log('OFFLINE', e.code))\" "
        "&& echo done > postinstall.txt"
    )
    files = one_service(scripts={"postinstall": postinstall, "build": "test -f postinstall.txt"})
    built, _ = run_build_and_tests(repository(files))
    assert built.status == "succeeded", built.findings
    assert "install scripts" in built.summary


def test_a_node_version_the_machine_lacks_comes_from_the_npm_registry(build_cache, repository):
    machine = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    wanted = "18" if not machine.startswith("v18.") else "22"
    files = one_service(
        scripts={"build": "node -e \"console.log('on', process.version)\""},
        extra={".nvmrc": f"{wanted}\n"},
    )
    built, tested = run_build_and_tests(repository(files))
    assert built.status == "succeeded", built.findings
    ((kind, message),) = messages(built)["service"]
    assert kind == "Information" and f"built with Node {wanted}." in message, message
    assert "toolchain" in built.summary and f"(node {wanted}." in built.summary
    assert tested.status == "succeeded"


def test_a_workspace_lockfile_is_installed_once_for_its_applications(build_cache, repository):
    root_manifest = json.dumps(
        {"name": "fixture-root", "private": True, "workspaces": ["service", "job"]}
    )
    lock = {
        "name": "fixture-root",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {"name": "fixture-root", "workspaces": ["service", "job"]},
            "job": {"name": "fixture-job", "version": "1.0.0"},
            "service": {
                "name": "fixture-service",
                "version": "1.0.0",
                "dependencies": {"ms": MS["version"]},
            },
            "node_modules/fixture-job": {"resolved": "job", "link": True},
            "node_modules/fixture-service": {"resolved": "service", "link": True},
            "node_modules/ms": dict(MS),
        },
    }
    files = {
        "connect.yaml": connect_yaml(("service", "service"), ("job", "job")),
        "package.json": root_manifest,
        "package-lock.json": json.dumps(lock, indent=2),
        "service/package.json": package_json(
            "fixture-service", {"test": "node --test"}, {"ms": MS["version"]}
        ),
        "service/src/index.js": SERVICE_SOURCE,
        "service/src/index.test.js": SERVICE_TEST,
        "job/package.json": package_json("fixture-job", {"test": "node --test"}, {}),
        "job/src/index.js": JOB_SOURCE,
        "job/src/index.test.js": JOB_TEST,
    }
    built, tested = run_build_and_tests(repository(files))
    assert built.status == "succeeded", built.findings
    assert tested.status == "succeeded", tested.findings
    assert "install 0.0 s (shared with" in built.summary


# --- output -------------------------------------------------------------------------------------


def test_logs_are_kept_as_plain_text_without_colour_codes():
    coloured = "\x1b[31mFAIL\x1b[0m src/a.test.js\r\nprogress 10%\rprogress 100%\n\x1b]8;;http://x\x07link\x1b]8;;\x07"
    assert plain_text(coloured) == "FAIL src/a.test.js\nprogress 100%\nlink"
    assert last_lines("\n".join(f"line {i}" for i in range(100)), 3) == "line 97\nline 98\nline 99"


# --- Java ---------------------------------------------------------------------------------------

PLUGINS = {
    "maven-resources-plugin": "3.3.1",
    "maven-compiler-plugin": "3.13.0",
    "maven-surefire-plugin": "3.2.5",
    "maven-jar-plugin": "3.4.1",
}


def maven_pom(*, with_dependency_plugin: bool = False) -> str:
    plugins = "".join(
        f"<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>{name}</artifactId>"
        f"<version>{version}</version></plugin>"
        for name, version in PLUGINS.items()
    )
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example.connector</groupId>
  <artifactId>service</artifactId>
  <version>1.0.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId>
      <version>5.10.2</version><scope>test</scope>
    </dependency>
  </dependencies>
  <build><pluginManagement><plugins>{plugins}</plugins></pluginManagement></build>
</project>
"""


JAVA_SOURCE = """\
package example.connector;

public final class OrderLabel {
    private OrderLabel() {}

    public static String of(String number) {
        return number == null || number.isBlank() ? "Order unnumbered" : "Order " + number;
    }
}
"""

JAVA_TEST = """\
package example.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OrderLabelTest {
    @Test
    void labelsAnOrderByItsNumber() {
        assertEquals("Order 1001", OrderLabel.of("1001"));
        assertEquals("Order unnumbered", OrderLabel.of(" "));
    }
}
"""


def java_connector(test: str = JAVA_TEST) -> dict[str, str]:
    return {
        "connect.yaml": connect_yaml(("service", "service")),
        "service/pom.xml": maven_pom(),
        "service/src/main/java/example/connector/OrderLabel.java": JAVA_SOURCE,
        "service/src/test/java/example/connector/OrderLabelTest.java": test,
    }


@pytest.fixture(scope="session")
def maven_repository(tmp_path_factory) -> Iterator[Path]:
    """What the fixture needs from this machine's Maven repository (Maven Central is not
    reachable here): resolved once, outside the sandbox, from ~/.m2/repository."""
    local = Path.home() / ".m2" / "repository"
    if shutil.which("mvn") is None or not local.is_dir():
        pytest.skip("Maven or its local repository (~/.m2/repository) is not on this machine")
    seed = reachable_folder("maven-repository-test-")
    project = tmp_path_factory.mktemp("maven-seed")
    for name, text in java_connector().items():
        if name.startswith("service/"):
            path = project / name.removeprefix("service/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    settings_file = project / "settings.xml"
    settings_file.write_text(
        "<settings><mirrors><mirror><id>machine</id><mirrorOf>*</mirrorOf>"
        f"<url>{local.as_uri()}</url></mirror></mirrors></settings>"
    )
    resolved = subprocess.run(
        ["mvn", "-B", "-ntp", "-s", str(settings_file), f"-Dmaven.repo.local={seed}", "package"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if resolved.returncode != 0:
        shutil.rmtree(seed, ignore_errors=True)
        pytest.skip(
            "Maven cannot resolve the fixture's plugins from this machine's repository: "
            + last_lines(resolved.stdout, 3)
        )
    for current, _folders, files in os.walk(seed):
        os.chmod(current, 0o755)
        for name in files:
            os.chmod(os.path.join(current, name), 0o644)
    yield seed
    shutil.rmtree(seed, ignore_errors=True)


def test_a_maven_application_is_packaged_and_its_tests_run(
    build_cache, repository, maven_repository, settings
):
    settings.CONNECTORS_BUILD_MAVEN_REPOSITORY = str(maven_repository)
    built, tested = run_build_and_tests(repository(java_connector()))
    assert built.status == "succeeded", built.findings
    assert "built with Maven" in messages(built)["service"][0][1]
    assert tested.status == "succeeded", tested.findings
    assert "`mvn -B -ntp" in messages(tested)["service"][0][1]


def test_a_failing_java_test_fails_the_unit_test_check(
    build_cache, repository, maven_repository, settings
):
    settings.CONNECTORS_BUILD_MAVEN_REPOSITORY = str(maven_repository)
    failing = JAVA_TEST.replace('"Order 1001", OrderLabel', '"Order 1002", OrderLabel')
    built, tested = run_build_and_tests(repository(java_connector(failing)))
    assert built.status == "succeeded", built.findings
    assert tested.status == "failed"
    message = messages(tested)["service"][0][1]
    assert "the test step failed" in message and "Order 1002" in message


def test_gradle_without_gradle_on_the_worker_is_a_warning(build_cache, repository):
    if shutil.which("gradle"):
        pytest.skip("this machine has Gradle")
    files = {
        "connect.yaml": connect_yaml(("service", "service")),
        "service/build.gradle": "plugins { id 'java' }\n",
    }
    built, tested = run_build_and_tests(repository(files))
    assert built.status == "succeeded"
    assert messages(built)["service"][0][0] == "Warning"
    assert "no Gradle" in messages(built)["service"][0][1]
    assert tested.status == "skipped"


def test_a_build_cache_folder_others_can_write_to_is_refused(build_cache, repository):
    os.chmod(build_cache, 0o777)  # anyone could plant an install in it
    built, tested = run_build_and_tests(repository(one_service()))
    assert built.status == "failed" and tested.status == "skipped"
    ((kind, message),) = messages(built)["service"]
    assert kind == "Error" and "the build sandbox is not available" in message
    assert "writable by nobody else" in message


def test_a_merchant_center_build_gets_its_configuration_with_secured_values_masked(
    build_cache, repository
):
    spec = """\
deployAs:
  - name: view
    applicationType: merchant-center-custom-view
    configuration:
      standardConfiguration:
        - key: CUSTOM_VIEW_ID
          description: The custom view's id
          required: true
        - key: CLOUD_IDENTIFIER
          description: The region
          default: gcp-eu
      securedConfiguration:
        - key: API_SECRET
          description: A secret of the partner
"""
    show = (
        "node -e \"const e = process.env; console.log(['SEEN', e.CLOUD_IDENTIFIER, "
        "e.CUSTOM_VIEW_ID, e.API_SECRET, e.APPLICATION_URL].join(' ')); process.exit(3)\""
    )
    files = {"connect.yaml": spec}
    files.update(node_application("view", scripts={"build": show}, sources={"index.js": ""}))
    built, _ = run_build_and_tests(repository(files))
    ((kind, message),) = messages(built)["view"]
    assert kind == "Error" and "exit code 3" in message
    assert "SEEN gcp-eu preview-custom-view-id **** https://view.preview.invalid" in message
    assert "preview-api-secret" not in message


def test_the_tests_temporary_folder_comes_back_only_for_the_same_files(build_cache, repository):
    remember = (
        "node -e \"const fs = require('fs'); const seen = require('path').join("
        "require('os').tmpdir(), 'seen'); if (fs.existsSync(seen)) { console.log('KEPT "
        "FROM BEFORE'); process.exit(1); } fs.writeFileSync(seen, 'x')\""
    )
    root = repository(one_service(scripts={"test": remember}))
    _, first = run_build_and_tests(root)
    assert first.status == "succeeded", first.findings
    _, second = run_build_and_tests(root)  # the same files: Jest's cache would be reused
    assert second.status == "failed" and "KEPT FROM BEFORE" in str(second.findings)
    other = repository(one_service(scripts={"test": remember}, extra={"README.md": "changed"}))
    _, third = run_build_and_tests(other)
    assert third.status == "succeeded", third.findings


def test_runs_at_once_get_their_own_workspace_and_a_freed_one_is_used_again(
    build_cache, repository
):
    from connectors.checks.build import Workspace

    root = repository(one_service())
    first, second = Workspace(build_cache, root), Workspace(build_cache, root)
    assert first.path != second.path
    assert (first.repository / "service" / "package.json").is_file()
    first.remove()
    third = Workspace(build_cache, root)
    assert third.path == first.path and (third.repository / "connect.yaml").is_file()
    for workspace in (second, third):
        workspace.remove()
    assert workspaces(build_cache) == []


def test_a_local_module_the_build_installs_into_is_installed_with_the_application(
    build_cache, repository
):
    build = (
        "npm --prefix ../shared install && npm --prefix ../shared run build && "
        "node -e \"console.log(require('../shared/dist/delay.js'))\""
    )
    shared_build = (
        "node -e \"const fs = require('fs'); fs.mkdirSync('dist', { recursive: true }); "
        "fs.writeFileSync('dist/delay.js', 'module.exports = require(\\'ms\\')(\\'2s\\');')\""
    )
    files = one_service(scripts={"build": build})
    files["shared/package.json"] = package_json(
        "fixture-shared", {"build": shared_build}, {"ms": MS["version"]}
    )
    files["shared/package-lock.json"] = package_lock("fixture-shared", True)
    built, _ = run_build_and_tests(repository(files))
    assert built.status == "succeeded", built.findings
    assert "install shared" in built.summary and "service: install" in built.summary
