"""``manage.py validate_connector``: through call_command, and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .repository_files import good_repository

CORPUS = Path(__file__).parent / "corpus"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
VALID = CORPUS / "valid-minimal-service.yaml"
INVALID = CORPUS / "service-endpoint-double-slash.yaml"


def run(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("validate_connector", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_a_valid_file_passes():
    output, error = run(str(VALID))
    assert error is None
    assert output == f"{VALID}: valid\n"


def test_an_invalid_file_is_reported_with_line_and_path():
    output, error = run(str(INVALID))
    assert error is not None and error.returncode == 1
    assert output.splitlines() == [
        f"{INVALID}: not valid, 1 problem",
        "  service-endpoint-double-slash.yaml:4: [deployAs.0.endpoint]: "
        "Double slashes are not allowed",
    ]


def test_json_prints_one_line_per_path():
    output, error = run("--json", str(VALID), str(INVALID))
    assert error is not None and error.returncode == 1
    assert json_lines(output) == [
        {"path": str(VALID), "valid": True, "errors": []},
        {
            "path": str(INVALID),
            "valid": False,
            "errors": [
                {
                    "path": "deployAs.0.endpoint",
                    "message": "Double slashes are not allowed",
                    "line": 4,
                }
            ],
        },
    ]


def test_json_errors_for_the_whole_file_have_an_empty_path():
    output, _ = run("--json", str(CORPUS / "top-list.yaml"))
    (line,) = json_lines(output)
    assert line["errors"] == [{"path": "", "message": "Expected object, received array", "line": 1}]


def test_a_repository_folder_gets_strict_and_structure_checks(tmp_path):
    repository = good_repository(tmp_path / "repo")
    output, error = run("--json", str(repository))
    assert error is None
    assert json_lines(output) == [{"path": str(repository), "valid": True, "errors": []}]

    (repository / "service" / "package.json").unlink()
    (repository / "connect.yaml").write_text(
        (repository / "connect.yaml").read_text().replace("endpoint: /service", "endpoint: /a//b")
    )
    output, error = run("--json", str(repository))
    assert error is not None and error.returncode == 1
    (line,) = json_lines(output)
    assert [(e["path"], e["message"].split(":")[0]) for e in line["errors"]] == [
        ("deployAs.0.endpoint", "Double slashes are not allowed"),
        ("service/", "Application 'service' has no package manifest"),
    ]


def test_a_folder_without_connect_yaml_is_not_valid(tmp_path):
    output, error = run("--json", str(tmp_path))
    assert error is not None and error.returncode == 1
    (line,) = json_lines(output)
    assert line["errors"] == [
        {"path": "connect.yaml", "message": "Connector specification file not found"}
    ]


def test_a_nonexistent_path_is_a_usage_error(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("validate_connector", str(VALID), str(tmp_path / "missing.yaml"))
    assert caught.value.returncode == 2


def test_no_path_is_a_usage_error():
    with pytest.raises(CommandError, match="PATH"):
        call_command("validate_connector")


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "validate_connector", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_exit_status_is_0_when_every_path_is_valid(tmp_path):
    result = manage(str(VALID), str(good_repository(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": valid") == 2


def test_exit_status_is_1_when_a_path_is_not_valid():
    result = manage("--json", str(VALID), str(INVALID))
    assert result.returncode == 1
    assert [line["valid"] for line in json_lines(result.stdout)] == [True, False]


def test_exit_status_is_2_on_usage_errors(tmp_path):
    assert manage().returncode == 2
    assert manage(str(tmp_path / "nowhere")).returncode == 2
