"""Sample connectors for the Build and Unit test checks: small Node applications of our own.

A service, a job and an assets application with their package.json and package-lock.json,
one tiny real package from the npm registry as their only dependency, and the folders the
sandbox's user can reach. Tests write them into real git repositories.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

# One tiny package from the npm registry, pinned by its lockfile (no dependencies of its own).
MS = {
    "version": "2.1.3",
    "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
    "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==",  # noqa: E501
    "license": "MIT",
}

SERVICE_SOURCE = """\
'use strict';
const ms = require('ms');

function retryDelay(attempt) {
  return ms('1s') * 2 ** attempt;
}

module.exports = { retryDelay };
"""

SERVICE_TEST = """\
'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { retryDelay } = require('./index');

test('the delay doubles with each attempt', () => {
  assert.equal(retryDelay(0), 1000);
  assert.equal(retryDelay(3), 8000);
});
"""

JOB_SOURCE = """\
'use strict';
function batches(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
module.exports = { batches };
"""

JOB_TEST = """\
'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { batches } = require('./index');

test('items are cut into batches', () => {
  assert.deepEqual(batches([1, 2, 3], 2), [[1, 2], [3]]);
});
"""

ASSETS_BUILD = """\
'use strict';
const fs = require('node:fs');
fs.mkdirSync('public', { recursive: true });
fs.writeFileSync('public/index.html', '<!doctype html><title>Checkout</title>');
console.log('wrote public/index.html');
"""


def connect_yaml(*applications: tuple[str, str]) -> str:
    lines = ["deployAs:"]
    for name, kind in applications:
        lines += [f"  - name: {name}", f"    applicationType: {kind}"]
        if kind in {"service", "event", "job"}:
            lines.append(f"    endpoint: /{name}")
        if kind == "job":
            lines += ["    properties:", "      schedule: '0 0 * * *'"]
    return "\n".join(lines) + "\n"


def package_json(name: str, scripts: dict[str, str], dependencies: dict[str, str]) -> str:
    manifest = {
        "name": name,
        "version": "1.0.0",
        "private": True,
        "main": "src/index.js",
        "scripts": scripts,
        "dependencies": dependencies,
    }
    return json.dumps(manifest, indent=2) + "\n"


def package_lock(name: str, with_ms: bool) -> str:
    dependencies = {"ms": MS["version"]} if with_ms else {}
    packages: dict = {"": {"name": name, "version": "1.0.0", "dependencies": dependencies}}
    if with_ms:
        packages["node_modules/ms"] = dict(MS)
    lock = {
        "name": name,
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": packages,
    }
    return json.dumps(lock, indent=2) + "\n"


def node_application(
    name: str,
    *,
    scripts: dict[str, str],
    sources: dict[str, str],
    with_ms: bool = False,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    package = f"fixture-{name}"
    files = {
        f"{name}/package.json": package_json(
            package, scripts, {"ms": MS["version"]} if with_ms else {}
        ),
        f"{name}/package-lock.json": package_lock(package, with_ms),
    }
    files.update({f"{name}/src/{file}": text for file, text in sources.items()})
    files.update({f"{name}/{file}": text for file, text in (extra or {}).items()})
    return files


def service(**changes) -> dict[str, str]:
    scripts = {"build": "node --check src/index.js", "test": "node --test"}
    scripts.update(changes.pop("scripts", {}))
    sources = {"index.js": SERVICE_SOURCE, "index.test.js": SERVICE_TEST}
    sources.update(changes.pop("sources", {}))
    return node_application("service", scripts=scripts, sources=sources, with_ms=True, **changes)


def good_connector() -> dict[str, str]:
    files = {
        "connect.yaml": connect_yaml(("service", "service"), ("job", "job"), ("assets", "assets"))
    }
    files.update(service())
    files.update(
        node_application(
            "job",
            scripts={"test": "node --test", "start": "node src/index.js"},
            sources={"index.js": JOB_SOURCE, "index.test.js": JOB_TEST},
        )
    )
    files.update(
        node_application(
            "assets",
            scripts={
                "build": "node src/build.js",
                "test": 'echo "Error: no test specified" && exit 1',
            },
            sources={"build.js": ASSETS_BUILD},
        )
    )
    return files


def one_service(**changes) -> dict[str, str]:
    return {"connect.yaml": connect_yaml(("service", "service")), **service(**changes)}


def reachable_folder(prefix: str) -> Path:
    """A folder the sandbox's user can reach: pytest's tmp_path sits in a 0700 folder."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o711)
    return path


def workspaces(build_cache: Path) -> list[Path]:
    """The build slots in use (their lock files stay)."""
    return [path for path in (build_cache / "work").iterdir() if path.is_dir()]
