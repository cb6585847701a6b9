"""A sample connector changed between two tags, for the tests of what changed since a review."""

from __future__ import annotations

from pathlib import Path

from connectors import samples

CONNECT_YAML = """\
deployAs:
  - name: service
    applicationType: service
    endpoint: /service
    configuration:
      standardConfiguration:
        - key: CORS_ORIGINS
          description: Allowed origins
  - name: job
    applicationType: job
    endpoint: /job
    properties:
      schedule: "0 0 * * *"
"""
INDEX_V1 = "".join(f"const line{n} = {n};\n" for n in range(1, 11))
INDEX_V2 = INDEX_V1.replace("const line3 = 3;\n", "const line3 = 'three';\n").replace(
    "const line8 = 8;\n", "const line8 = 8;\nconst added = true;\n"
)
HELPER = "".join(f"export const helper{n} = () => {n};\n" for n in range(1, 21))
HUGE = "".join(f"export const generated{n} = '{'x' * 40}';\n" for n in range(1, 1501))
PNG_V1 = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
PNG_V2 = PNG_V1 + b"\x00\x01\x02"

FILES_V1: dict[str, samples.FileContent] = {
    "connect.yaml": CONNECT_YAML,
    "service/package.json": '{"name": "service", "dependencies": {"shared": "file:../shared"}}\n',
    "service/src/index.js": INDEX_V1,
    "service/src/old-name.js": HELPER,
    "service/logo.png": PNG_V1,
    "job/package.json": '{"name": "job"}\n',
    "job/src/job.js": "console.log('job');\n",
    "shared/util.js": "module.exports = 1;\n",
    "docs/guide.md": "# Guide\n",
    "README.md": "# Connector\n",
}
FILES_V2 = samples.merge(
    FILES_V1,
    {
        "connect.yaml": CONNECT_YAML.replace(
            "          description: Allowed origins\n",
            "          description: Allowed origins\n        - key: TIMEOUT\n"
            "          description: Seconds\n",
        ),
        "service/src/index.js": INDEX_V2,
        "service/src/new-name.js": HELPER.replace("() => 20", "() => 'twenty'"),
        "service/src/huge.js": HUGE,
        "service/logo.png": PNG_V2,
        "shared/util.js": "module.exports = 2;\n",
        "docs/guide.md": "# Guide\n\nMore.\n",
        "README.md": "# Connector\n\nNew.\n",
    },
    remove=["service/src/old-name.js", "job/src/job.js"],
)


def changed_connector(path: Path) -> samples.SampleRepository:
    """A connector tagged 1.0.0, then 2.0.0 with changes inside and outside what it deploys:
    a modified, a renamed, a removed, a binary and a huge file, a local module, the docs."""
    repository = samples.create_repository(path, FILES_V1, tags=("1.0.0",))
    samples.add_commit(
        repository, FILES_V2, remove=["service/src/old-name.js", "job/src/job.js"], tags=["2.0.0"]
    )
    return repository
