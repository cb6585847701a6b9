"""What each check reads: the analysis scope of a checked-out repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.checks.base import Application
from connectors.checks.scope import Placement, build_scope


def _repository(root: Path) -> list[Application]:
    for folder in ("service/src", "common/src", "processor", "mc-app/src", "docs", "scripts"):
        (root / folder).mkdir(parents=True)
    (root / "service/package.json").write_text(
        json.dumps(
            {
                "dependencies": {"common": "file:../common", "lodash": "^4.17.21"},
                "devDependencies": {"outside": "file:../../elsewhere", "itself": "link:."},
            }
        )
    )
    return [
        Application("service", "service", root / "service"),
        Application("processor", "job", root / "processor"),
        Application("mc-app", "merchant-center-custom-application", root / "mc-app"),
        Application("missing", "event", root / "missing"),
    ]


def test_code_analysis_reads_each_deployed_source_and_its_local_modules(tmp_path):
    scope = build_scope(tmp_path, _repository(tmp_path))

    assert scope.code_targets() == {
        "service/src": "service",
        "common/src": "service",
        "processor": "processor",  # no src folder: the application folder itself
    }
    assert [a.name for a in scope.not_analysed] == ["mc-app"]
    # An application whose folder is missing is the structure check's to report.
    assert "missing" not in {a.name for a in scope.applications}


@pytest.mark.parametrize(
    ("path", "placement", "application"),
    [
        ("service/src/index.ts", Placement.DEPLOYED, "service"),
        ("common/src/client.ts", Placement.DEPLOYED, "service"),
        ("mc-app/src/app.tsx", Placement.DEPLOYED, "mc-app"),
        ("connect.yaml", Placement.DEPLOYED, None),
        ("service/.env", Placement.DEPLOYED, "service"),
        ("service/src/index.test.ts", Placement.TEST, "service"),
        ("service/tests/fixtures/token.json", Placement.TEST, "service"),
        ("service/.env.jest", Placement.TEST, "service"),
        ("service/.env.example", Placement.EXAMPLE, "service"),
        ("service/.env.local", Placement.EXAMPLE, "service"),
        ("service/README.md", Placement.EXAMPLE, "service"),
        ("service/node_modules/pkg/index.js", Placement.GENERATED, "service"),
        ("docs/setup.md", Placement.OUTSIDE, None),
        ("scripts/deploy.sh", Placement.OUTSIDE, None),
    ],
)
def test_every_file_has_one_placement(tmp_path, path, placement, application):
    scope = build_scope(tmp_path, _repository(tmp_path))

    located = scope.locate(path)

    assert (located.placement, located.application) == (placement, application)


def test_a_local_module_outside_the_repository_is_not_followed(tmp_path):
    root = tmp_path / "repository"
    root.mkdir()
    (tmp_path / "elsewhere/src").mkdir(parents=True)
    applications = _repository(root)

    scope = build_scope(root, applications)

    assert all(not target.startswith("..") for target in scope.code_targets())
    assert scope.applications[0].module_folders == ("common",)
