"""The repository structure check, on real folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors import samples
from connectors.checks.base import Application, CheckContext
from connectors.checks.structure import StructureCheck
from connectors.spec.acceptance import read_specification
from connectors.spec.loader import load_spec
from tests.connectors.spec.repository_files import (
    good_repository,
    package_json,
    write_files,
)


def context_for(root: Path) -> CheckContext:
    """What the pipeline hands the check: the applications and the loaded connect.yaml."""
    content = (root / "connect.yaml").read_bytes()
    accepted = read_specification(content)
    applications = [Application(name, kind, root / name) for name, kind in accepted.applications]
    return CheckContext(root=root, applications=applications, spec=load_spec(content))


def run_check(root: Path):
    return StructureCheck().run(context_for(root))


def errors(outcome) -> list[tuple[str | None, str | None, str]]:
    return [(f.application, f.file, f.message) for f in outcome.findings if f.type == "Error"]


def test_the_check_is_named_repository_structure():
    assert StructureCheck.name == "Repository structure"


def test_a_repository_with_every_folder_and_manifest_succeeds(tmp_path):
    outcome = run_check(good_repository(tmp_path))
    assert outcome.status == "succeeded"
    assert outcome.findings == []
    assert outcome.summary == (
        "2 application folders hold a package manifest with the scripts the build needs."
    )


def test_the_projects_sample_connector_passes(tmp_path):
    files = samples.good_connector_files()
    write_files(
        tmp_path, {name: content for name, content in files.items() if isinstance(content, str)}
    )
    assert run_check(tmp_path).status == "succeeded"


def test_a_missing_application_folder_is_named(tmp_path):
    good_repository(tmp_path)
    (tmp_path / "assets" / "package.json").unlink()
    (tmp_path / "assets").rmdir()
    outcome = run_check(tmp_path)
    assert outcome.status == "failed"
    assert errors(outcome) == [
        (
            "assets",
            "connect.yaml",
            "Application 'assets' has no folder 'assets/' at the repository root.",
        )
    ]
    (finding,) = [f for f in outcome.findings if f.type == "Error"]
    lines = (tmp_path / "connect.yaml").read_text().splitlines()
    assert "name: assets" in lines[finding.line - 1]
    assert outcome.summary == "1 of 2 application folders cannot be built as they are."


def test_a_folder_without_a_manifest_is_named(tmp_path):
    good_repository(tmp_path)
    (tmp_path / "service" / "package.json").unlink()
    (application, file, message), *_ = errors(run_check(tmp_path))
    assert (application, file) == ("service", "service/")
    assert "has no package manifest" in message


def test_a_java_build_file_is_a_manifest(tmp_path):
    good_repository(tmp_path)
    (tmp_path / "service" / "package.json").unlink()
    (tmp_path / "service" / "pom.xml").write_text("<project/>\n")
    assert run_check(tmp_path).status == "succeeded"


def test_a_service_needs_a_start_script(tmp_path):
    good_repository(tmp_path)
    write_files(
        tmp_path,
        {"service/package.json": package_json(**{"connector:post-deploy": "node post.js"})},
    )
    outcome = run_check(tmp_path)
    assert errors(outcome) == [
        (
            "service",
            "service/package.json",
            'service/package.json has no "start" script: '
            "the deployed application is started with `npm start`.",
        )
    ]
    assert outcome.findings[0].line == 4  # the "scripts" line


def test_typescript_needs_a_build_script_too(tmp_path):
    good_repository(tmp_path)
    write_files(tmp_path, {"service/tsconfig.json": "{}\n"})
    (application, file, message), *_ = errors(run_check(tmp_path))
    assert message.startswith('service/package.json has no "build" script')


@pytest.mark.parametrize(
    "application_type",
    ["assets", "merchant-center-custom-application", "merchant-center-custom-view"],
)
def test_static_applications_need_a_build_script(tmp_path, application_type):
    write_files(tmp_path, {"ui/package.json": package_json(start="serve")})
    context = CheckContext(
        root=tmp_path, applications=[Application("ui", application_type, tmp_path / "ui")]
    )
    outcome = StructureCheck().run(context)
    assert errors(outcome) == [
        (
            "ui",
            "ui/package.json",
            'ui/package.json has no "build" script: '
            "the build step produces the files that are deployed.",
        )
    ]


def test_npm_scripts_run_by_deploy_hooks_must_exist(tmp_path):
    good_repository(tmp_path)
    write_files(tmp_path, {"service/package.json": package_json(start="node src/index.js")})
    assert errors(run_check(tmp_path)) == [
        (
            "service",
            "service/package.json",
            'connect.yaml runs "npm run connector:post-deploy" as the postDeploy script of '
            'service, but service/package.json has no "connector:post-deploy" script.',
        )
    ]


def test_a_package_json_that_is_not_json_is_reported_at_its_line(tmp_path):
    good_repository(tmp_path)
    write_files(tmp_path, {"assets/package.json": '{\n  "scripts": {\n    "build": oops\n}\n'})
    outcome = run_check(tmp_path)
    (finding,) = outcome.findings
    assert (finding.application, finding.file, finding.line) == ("assets", "assets/package.json", 3)
    assert finding.message.startswith("assets/package.json is not valid JSON")


def test_a_symlinked_application_folder_is_not_followed(tmp_path):
    repository = good_repository(tmp_path / "repo")
    outside = write_files(tmp_path / "elsewhere", {"package.json": package_json(build="x")})
    (repository / "assets" / "package.json").unlink()
    (repository / "assets").rmdir()
    (repository / "assets").symlink_to(outside, target_is_directory=True)
    assert errors(run_check(repository)) == [
        ("assets", "assets/", "The folder of application 'assets' is a symbolic link.")
    ]


def test_a_symlinked_manifest_does_not_count(tmp_path):
    repository = good_repository(tmp_path / "repo")
    outside = write_files(tmp_path / "elsewhere", {"package.json": package_json(build="x")})
    (repository / "assets" / "package.json").unlink()
    (repository / "assets" / "package.json").symlink_to(outside / "package.json")
    (application, file, message), *_ = errors(run_check(repository))
    assert "has no package manifest" in message


def test_without_applications_the_check_is_skipped(tmp_path):
    outcome = StructureCheck().run(CheckContext(root=tmp_path, applications=[]))
    assert outcome.status == "skipped"
