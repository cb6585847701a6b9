"""The pipeline's connect.yaml check, run on real repository folders."""

from __future__ import annotations

from pathlib import Path

from connectors.checks.base import CheckContext
from connectors.checks.specification import SpecificationCheck

from .repository_files import good_repository, write_files

CORPUS = Path(__file__).parent / "corpus"


def run_check(root: Path):
    return SpecificationCheck().run(CheckContext(root=root, applications=[]))


def test_the_check_is_named_like_the_official_one():
    assert SpecificationCheck.name == "Connector specification file validation"


def test_a_valid_file_succeeds(tmp_path):
    outcome = run_check(good_repository(tmp_path))
    assert outcome.status == "succeeded"
    assert outcome.findings == []
    assert outcome.summary == "connect.yaml follows the connector specification (2 applications)."


def test_a_missing_file_fails_with_specification_file_not_found(tmp_path):
    outcome = run_check(tmp_path)
    assert outcome.status == "failed"
    (finding,) = outcome.findings
    assert finding.type == "Error"
    assert finding.message.startswith("Connector specification file not found")
    assert finding.file == "connect.yaml"


def test_a_symlinked_file_is_not_followed(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text((CORPUS / "valid-minimal-service.yaml").read_text())
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / "connect.yaml").symlink_to(outside)
    outcome = run_check(repository)
    assert outcome.status == "failed"
    assert outcome.findings[0].message.startswith("Connector specification file not found")


def test_each_strict_error_is_an_error_finding_with_file_line_and_application(tmp_path):
    write_files(
        tmp_path,
        {
            "connect.yaml": (
                "deployAs:\n"
                "  - name: service\n"
                "    applicationType: service\n"
                "    endpoint: /api//v1\n"
                "    configuration:\n"
                "      standardConfiguration:\n"
                "        - key: PORT\n"
                "          description: reserved\n"
                "  - name: app\n"
                "    applicationType: assets\n"
                "  - name: app\n"
                "    applicationType: assets\n"
            )
        },
    )
    outcome = run_check(tmp_path)
    assert outcome.status == "failed"
    assert [(f.message, f.line, f.application) for f in outcome.findings] == [
        ("[deployAs.0.endpoint]: Double slashes are not allowed", 4, "service"),
        (
            '[deployAs.0.configuration.standardConfiguration.0.key]: Key "PORT" is a reserved word',
            7,
            "service",
        ),
        ("[file content]: Duplicate application name found: app", 11, None),
    ]
    assert {f.file for f in outcome.findings} == {"connect.yaml"}
    assert {f.type for f in outcome.findings} == {"Error"}
    assert (
        outcome.summary == "connect.yaml does not follow the connector specification: 3 problems."
    )


def test_a_file_that_is_not_yaml_is_one_finding_at_its_line(tmp_path):
    write_files(tmp_path, {"connect.yaml": "deployAs:\n  - name: a\n    name: b\n"})
    outcome = run_check(tmp_path)
    (finding,) = outcome.findings
    assert finding.message.startswith("[file content]: Map keys must be unique")
    assert finding.line == 3


def test_an_oversized_file_is_refused(tmp_path):
    write_files(tmp_path, {"connect.yaml": "deployAs: []\n# " + "x" * 300_000 + "\n"})
    outcome = run_check(tmp_path)
    assert outcome.status == "failed"
    assert "larger than" in outcome.findings[0].message
