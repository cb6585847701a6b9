"""Connector repositories written to real folders for the check and command tests."""

from __future__ import annotations

import json
from pathlib import Path

SERVICE_SPEC = """\
deployAs:
  - name: service
    applicationType: service
    endpoint: /service
    scripts:
      postDeploy: npm install && npm run connector:post-deploy
  - name: assets
    applicationType: assets
"""


def package_json(**scripts: str) -> str:
    return json.dumps({"name": "app", "version": "1.0.0", "scripts": scripts}, indent=2) + "\n"


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def good_repository(root: Path) -> Path:
    """A service and an assets application, each with the manifest its build needs."""
    return write_files(
        root,
        {
            "connect.yaml": SERVICE_SPEC,
            "service/package.json": package_json(
                start="node src/index.js", **{"connector:post-deploy": "node src/post.js"}
            ),
            "assets/package.json": package_json(build="node build.js"),
        },
    )
