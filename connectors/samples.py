"""Real local git repositories of sample connectors.

The demo command and the tests build their repositories here: a valid connector with one
application of each type, and broken variants derived from it with ``merge``. Repositories
are made with the git command-line client and a fixed identity and clock, so they build the
same way on a machine with no git identity configured.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class Symlink:
    """A file that is a symbolic link to ``target`` (stored as a link by git)."""

    target: str


FileContent = str | bytes | Symlink
Files = Mapping[str, FileContent]


@dataclass
class SampleRepository:
    path: Path  # the repository's working tree
    url: str  # file://…, for a draft's repository.url when local repositories are allowed
    commits: list[str] = field(default_factory=list)  # oldest first
    tags: dict[str, str] = field(default_factory=dict)  # tag name -> commit it points at

    @property
    def head(self) -> str:
        return self.commits[-1]


class SampleRepositoryError(RuntimeError):
    """A git command failed while building a sample repository."""


# --- building repositories ---------------------------------------------------------------

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Sample Connector Author",
    "GIT_AUTHOR_EMAIL": "author@connector.example",
    "GIT_COMMITTER_NAME": "Sample Connector Author",
    "GIT_COMMITTER_EMAIL": "author@connector.example",
}
_FIRST_COMMIT_TIME = 1_735_689_600  # 2025-01-01T00:00:00Z; each later commit a minute after
# The user's own gitconfig must not change what we build (signing, hooks, line endings).
_NEUTRAL_CONFIG = (
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "tag.forceSignAnnotated=false",
    "core.hooksPath=/dev/null",
    "core.autocrlf=false",
    "core.symlinks=true",
    "init.templateDir=",
)
_REPOSITORY_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX")


def create_repository(
    path: Path,
    files: Files,
    *,
    tags: Sequence[str] = ("1.0.0",),
    annotated: bool = False,
) -> SampleRepository:
    """Make a git repository at ``path`` whose first commit holds ``files``, tagged ``tags``.

    Raises SampleRepositoryError when git fails.
    """
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "--quiet", "--initial-branch=main")
    repository = SampleRepository(path=path, url=path.resolve().as_uri())
    add_commit(repository, files, tags=tags, annotated=annotated, message="Initial version")
    return repository


def add_commit(
    repository: SampleRepository,
    files: Files,
    *,
    tags: Sequence[str] = (),
    annotated: bool = False,
    remove: Iterable[str] = (),
    message: str = "Update the connector",
) -> str:
    """Write ``files``, delete ``remove`` (files or folders), commit, and tag the commit.

    A tag that already exists is moved to the new commit. Returns the commit's sha.
    Raises SampleRepositoryError when git fails.
    """
    for name in remove:
        _delete(repository.path, name)
    _write_files(repository.path, files)
    _git(repository.path, "add", "--all")
    when = f"@{_FIRST_COMMIT_TIME + 60 * len(repository.commits)} +0000"
    dated = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    _git(repository.path, "commit", "--quiet", "--allow-empty", f"--message={message}", env=dated)
    commit = _git(repository.path, "rev-parse", "HEAD").strip()
    repository.commits.append(commit)
    for tag in tags:
        annotation = ["--annotate", f"--message=Release {tag}"] if annotated else []
        _git(repository.path, "tag", "--force", *annotation, "--", tag, commit, env=dated)
        repository.tags[tag] = commit
    return commit


def _write_files(root: Path, files: Files) -> None:
    for name, content in files.items():
        path = root / _relative(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            _delete(root, name)
        if isinstance(content, Symlink):
            os.symlink(content.target, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _delete(root: Path, name: str) -> None:
    path = root / _relative(name)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _relative(name: str) -> PurePosixPath:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or relative.parts[:1] == (".git",):
        raise ValueError(f"A sample file must stay inside the repository: {name!r}")
    return relative


def _git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    config = [item for setting in _NEUTRAL_CONFIG for item in ("-c", setting)]
    environment = {
        key: value for key, value in os.environ.items() if key not in _REPOSITORY_LOCATION_VARIABLES
    }
    environment.update({**_IDENTITY, "GIT_TERMINAL_PROMPT": "0", **(env or {})})
    result = subprocess.run(
        ["git", *config, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise SampleRepositoryError(f"git {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


# --- deriving variants -------------------------------------------------------------------


def merge(
    base: Files, overrides: Files | None = None, *, remove: Iterable[str] = ()
) -> dict[str, FileContent]:
    """A copy of ``base`` without ``remove`` (a file, or a folder and all below it), plus
    ``overrides`` (added or replacing)."""
    removed = [name.rstrip("/") for name in remove]
    kept = {
        name: content
        for name, content in base.items()
        if not any(name == gone or name.startswith(gone + "/") for gone in removed)
    }
    return {**kept, **(overrides or {})}


def replace_in_file(files: Files, name: str, old: str, new: str) -> dict[str, FileContent]:
    """A copy of ``files`` with ``old`` replaced by ``new`` in the text file ``name``.

    Raises ValueError when ``old`` is not in the file, so a variant cannot silently stay
    identical to its base.
    """
    text = files[name]
    if not isinstance(text, str) or old not in text:
        raise ValueError(f"{old!r} is not in {name}")
    return merge(files, {name: text.replace(old, new)})


# --- the sample connector ----------------------------------------------------------------

# Application name (also its folder) -> applicationType.
GOOD_CONNECTOR_APPLICATIONS: dict[str, str] = {
    "service": "service",
    "event": "event",
    "job": "job",
    "assets": "assets",
    "custom-application": "merchant-center-custom-application",
    "custom-view": "merchant-center-custom-view",
}
FOUR_APPLICATIONS = ("service", "event", "job", "assets")

_APPLICATION_SPECIFICATIONS: dict[str, str] = {
    "service": """\
  - name: service
    applicationType: service
    endpoint: /service
    scripts:
      postDeploy: npm run connector:post-deploy
      preUndeploy: npm run connector:pre-undeploy
    configuration:
      standardConfiguration:
        - key: CORS_ALLOWED_ORIGINS
          description: Comma-separated origins allowed to call the service
          default: https://storefront.example.com
      securedConfiguration:
        - key: PARTNER_API_KEY
          description: API key of the partner system the service forwards carts to
          required: true
""",
    "event": """\
  - name: event
    applicationType: event
    endpoint: /event
    configuration:
      standardConfiguration:
        - key: ORDER_STATES_TO_EXPORT
          description: Order states whose changes are forwarded to the partner system
          default: Open,Confirmed
""",
    "job": """\
  - name: job
    applicationType: job
    endpoint: /job
    properties:
      schedule: "0 0 * * *"
    configuration:
      standardConfiguration:
        - key: EXPORT_BATCH_SIZE
          description: Number of orders exported per run
          default: "100"
""",
    "assets": """\
  - name: assets
    applicationType: assets
""",
    "custom-application": """\
  - name: custom-application
    applicationType: merchant-center-custom-application
    configuration:
      standardConfiguration:
        - key: CUSTOM_APPLICATION_ID
          description: ID of the Custom Application registered in the Merchant Center
          required: true
        - key: ENTRY_POINT_URI_PATH
          description: Entry point URI path of the Custom Application
          required: true
        - key: CLOUD_IDENTIFIER
          description: Cloud identifier of the Merchant Center region
          default: gcp-eu
""",
    "custom-view": """\
  - name: custom-view
    applicationType: merchant-center-custom-view
    configuration:
      standardConfiguration:
        - key: CUSTOM_VIEW_ID
          description: ID of the Custom View registered in the Merchant Center
          required: true
        - key: CLOUD_IDENTIFIER
          description: Cloud identifier of the Merchant Center region
          default: gcp-eu
""",
}

_INHERITED_SPECIFICATION = """\
inheritAs:
  configuration:
    standardConfiguration:
      - key: CTP_REGION
        description: commercetools Composable Commerce API region
        required: true
        default: europe-west1.gcp
      - key: CTP_PROJECT_KEY
        description: commercetools Composable Commerce project key
        required: true
    securedConfiguration:
      - key: CTP_CLIENT_ID
        description: commercetools Composable Commerce API client ID
        required: true
      - key: CTP_CLIENT_SECRET
        description: commercetools Composable Commerce API client secret
        required: true
  apiClient:
    scopes:
      - view_orders
      - manage_orders
"""

# Real packages of the npm registry, pinned in the lockfiles; none has a known advisory.
_NPM_PACKAGES: dict[str, dict[str, str]] = {
    "dotenv": {
        "version": "18.0.10",
        "integrity": "sha512-89FAA1xchzK2mxVWdr5F/0rldwiueXs6zJM86rO66EzekR1iBdiXRthyG+m5GvkJaFH3C2LESzamTkgndmLT2A==",  # noqa: E501
        "license": "BSD-2-Clause",
    },
    "uuid": {
        "version": "14.0.3",
        "integrity": "sha512-Sc5u1VVln93y1Xnz4R+CunOZc7R9LUcTmhj7Rc7Eg3HVcf7rVn2FOoa812fe0W8p3jD7xeoGSYbfqCGGH2B6xw==",  # noqa: E501
        "license": "MIT",
    },
    "ms": {
        "version": "2.1.3",
        "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==",  # noqa: E501
        "license": "MIT",
    },
    "react": {
        "version": "19.3.1",
        "integrity": "sha512-QNhWdt7nrgVWWQG58QuGsAR3jv3Hbe4mb4vz7w2csnHavciZJgda1CPNaldF6eVxv90ud3jUXpKlHL69gO38yw==",  # noqa: E501
        "license": "MIT",
    },
}

_SERVICE_SOURCE = """\
'use strict';

// Summarises a cart for the partner system; the HTTP layer only passes bodies in and out.
function summariseCart(cart) {
  const lineItems = Array.isArray(cart && cart.lineItems) ? cart.lineItems : [];
  const totalQuantity = lineItems.reduce((sum, item) => sum + (Number(item.quantity) || 0), 0);
  return { lineItemCount: lineItems.length, totalQuantity };
}

module.exports = { summariseCart };

if (require.main === module) {
  console.log(JSON.stringify(summariseCart({ lineItems: [] })));
}
"""

_SERVICE_TEST = """\
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { summariseCart } = require('./index');

test('a cart is summarised by line items and quantity', () => {
  const cart = { lineItems: [{ quantity: 2 }, { quantity: 3 }] };
  assert.deepEqual(summariseCart(cart), { lineItemCount: 2, totalQuantity: 5 });
});
"""

_DEPLOY_HOOKS_SOURCE = """\
'use strict';

// Runs after deployment and before undeployment; nothing to set up in this sample.
const step = process.argv[2] || 'post-deploy';
console.log(`service: ${step} finished`);
"""

_EVENT_SOURCE = """\
'use strict';

// Reads the JSON message carried by a Pub/Sub push request.
function readMessage(body) {
  const data = body && body.message && body.message.data;
  if (typeof data !== 'string') {
    return null;
  }
  return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
}

module.exports = { readMessage };
"""

_EVENT_TEST = """\
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { readMessage } = require('./index');

test('a push request yields its message', () => {
  const data = Buffer.from(JSON.stringify({ type: 'OrderCreated' })).toString('base64');
  assert.deepEqual(readMessage({ message: { data } }), { type: 'OrderCreated' });
});

test('a request without a message yields nothing', () => {
  assert.equal(readMessage({}), null);
});
"""

_JOB_SOURCE = """\
'use strict';

// Picks the orders changed since the last run, oldest first, at most batchSize of them.
function ordersToExport(orders, since, batchSize) {
  return orders
    .filter((order) => new Date(order.lastModifiedAt) > since)
    .sort((a, b) => new Date(a.lastModifiedAt) - new Date(b.lastModifiedAt))
    .slice(0, batchSize);
}

module.exports = { ordersToExport };
"""

_JOB_TEST = """\
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { ordersToExport } = require('./index');

test('only orders changed since the last run are exported, oldest first', () => {
  const orders = [
    { id: 'b', lastModifiedAt: '2025-01-03T00:00:00Z' },
    { id: 'a', lastModifiedAt: '2025-01-02T00:00:00Z' },
    { id: 'old', lastModifiedAt: '2024-12-31T00:00:00Z' },
  ];
  const since = new Date('2025-01-01T00:00:00Z');
  assert.deepEqual(ordersToExport(orders, since, 10).map((order) => order.id), ['a', 'b']);
});
"""

_ASSETS_SOURCE = """\
'use strict';

// Shows the connector's name on the status page served with the assets.
document.addEventListener('DOMContentLoaded', () => {
  const title = document.getElementById('connector-name');
  if (title) {
    title.textContent = 'Sample connector';
  }
});
"""

_ASSETS_PAGE = """\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Sample connector</title>
    <script src="index.js" defer></script>
  </head>
  <body>
    <h1 id="connector-name">Loading</h1>
  </body>
</html>
"""

_ASSETS_BUILD = """\
'use strict';

// Copies the page and its script into public/, the folder the assets are served from.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
fs.mkdirSync(path.join(root, 'public'), { recursive: true });
fs.copyFileSync(path.join(root, 'src', 'index.js'), path.join(root, 'public', 'index.js'));
fs.copyFileSync(path.join(root, 'src', 'index.html'), path.join(root, 'public', 'index.html'));
"""

_CUSTOM_APPLICATION_SOURCE = """\
'use strict';

// The route of the Custom Application inside the Merchant Center.
function applicationRoute(projectKey, entryPointUriPath) {
  return `/${encodeURIComponent(projectKey)}/${encodeURIComponent(entryPointUriPath)}`;
}

module.exports = { applicationRoute };
"""

_CUSTOM_APPLICATION_TEST = """\
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { applicationRoute } = require('./index');

test('the route joins the project key and the entry point', () => {
  assert.equal(applicationRoute('my-project', 'order-insights'), '/my-project/order-insights');
});
"""

_CUSTOM_VIEW_SOURCE = """\
'use strict';

// The label shown in the Custom View's panel for an order.
function orderLabel(order) {
  const number = order && order.orderNumber ? order.orderNumber : 'unnumbered';
  return `Order ${number}`;
}

module.exports = { orderLabel };
"""

_CUSTOM_VIEW_TEST = """\
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { orderLabel } = require('./index');

test('an order is labelled by its number', () => {
  assert.equal(orderLabel({ orderNumber: '1001' }), 'Order 1001');
  assert.equal(orderLabel({}), 'Order unnumbered');
});
"""

_TEST_SCRIPTS = {"test": "node --test"}
_BUILD_CHECK = {"build": "node --check src/index.js"}


def _application_files(
    name: str,
    *,
    scripts: dict[str, str],
    dependencies: Sequence[str],
    sources: dict[str, str],
) -> dict[str, FileContent]:
    package = f"sample-connector-{name}"
    manifest = {
        "name": package,
        "version": "1.0.0",
        "private": True,
        "description": f"The {name} application of the sample connector",
        "main": "src/index.js",
        "scripts": scripts,
        "engines": {"node": ">=20"},
        "license": "MIT",
        "dependencies": {dep: _NPM_PACKAGES[dep]["version"] for dep in dependencies},
    }
    files: dict[str, FileContent] = {
        f"{name}/package.json": json.dumps(manifest, indent=2) + "\n",
        f"{name}/package-lock.json": _package_lock(package, dependencies),
    }
    files.update({f"{name}/src/{file}": text for file, text in sources.items()})
    return files


def _package_lock(package: str, dependencies: Sequence[str]) -> str:
    root: dict[str, str | dict[str, str]] = {
        "name": package,
        "version": "1.0.0",
        "license": "MIT",
        "dependencies": {dep: _NPM_PACKAGES[dep]["version"] for dep in dependencies},
        "engines": {"node": ">=20"},
    }
    packages: dict[str, dict[str, str | dict[str, str]]] = {"": root}
    for dep in dependencies:
        version = _NPM_PACKAGES[dep]["version"]
        packages[f"node_modules/{dep}"] = {
            "version": version,
            "resolved": f"https://registry.npmjs.org/{dep}/-/{dep}-{version}.tgz",
            "integrity": _NPM_PACKAGES[dep]["integrity"],
            "license": _NPM_PACKAGES[dep]["license"],
        }
    lock = {
        "name": package,
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": packages,
    }
    return json.dumps(lock, indent=2) + "\n"


def _all_application_files() -> dict[str, dict[str, FileContent]]:
    return {
        "service": _application_files(
            "service",
            scripts={
                **_BUILD_CHECK,
                "start": "node src/index.js",
                **_TEST_SCRIPTS,
                "connector:post-deploy": "node src/deploy-hooks.js post-deploy",
                "connector:pre-undeploy": "node src/deploy-hooks.js pre-undeploy",
            },
            dependencies=("dotenv", "uuid"),
            sources={
                "index.js": _SERVICE_SOURCE,
                "index.test.js": _SERVICE_TEST,
                "deploy-hooks.js": _DEPLOY_HOOKS_SOURCE,
            },
        ),
        "event": _application_files(
            "event",
            scripts={**_BUILD_CHECK, "start": "node src/index.js", **_TEST_SCRIPTS},
            dependencies=("dotenv",),
            sources={"index.js": _EVENT_SOURCE, "index.test.js": _EVENT_TEST},
        ),
        "job": _application_files(
            "job",
            scripts={**_BUILD_CHECK, "start": "node src/index.js", **_TEST_SCRIPTS},
            dependencies=("dotenv", "ms"),
            sources={"index.js": _JOB_SOURCE, "index.test.js": _JOB_TEST},
        ),
        "assets": _application_files(
            "assets",
            scripts={"build": "node src/build.js"},
            dependencies=("ms",),
            sources={
                "index.js": _ASSETS_SOURCE,
                "index.html": _ASSETS_PAGE,
                "build.js": _ASSETS_BUILD,
            },
        ),
        "custom-application": _application_files(
            "custom-application",
            scripts={**_BUILD_CHECK, **_TEST_SCRIPTS},
            dependencies=("react",),
            sources={
                "index.js": _CUSTOM_APPLICATION_SOURCE,
                "index.test.js": _CUSTOM_APPLICATION_TEST,
            },
        ),
        "custom-view": _application_files(
            "custom-view",
            scripts={**_BUILD_CHECK, **_TEST_SCRIPTS},
            dependencies=("react",),
            sources={"index.js": _CUSTOM_VIEW_SOURCE, "index.test.js": _CUSTOM_VIEW_TEST},
        ),
    }


def connect_yaml(applications: Sequence[str]) -> str:
    """The text of a valid connect.yaml deploying the named sample applications."""
    deploy_as = "".join(_APPLICATION_SPECIFICATIONS[name] for name in applications)
    return f"deployAs:\n{deploy_as}{_INHERITED_SPECIFICATION}"


def connector_files(applications: Sequence[str]) -> dict[str, FileContent]:
    """A valid connector with the named sample applications, each in its own folder."""
    every_application = _all_application_files()
    files: dict[str, FileContent] = {
        "connect.yaml": connect_yaml(applications),
        "README.md": "# Sample connector\n\nA connector built to show the publishing workflow.\n",
        ".gitignore": "node_modules/\npublic/\n",
    }
    for name in applications:
        files.update(every_application[name])
    return files


def good_connector_files() -> dict[str, FileContent]:
    """A valid connector with one application of each type (see GOOD_CONNECTOR_APPLICATIONS)."""
    return connector_files(tuple(GOOD_CONNECTOR_APPLICATIONS))


def four_application_connector_files() -> dict[str, FileContent]:
    """A valid connector with a service, an event, a job and an assets application."""
    return connector_files(FOUR_APPLICATIONS)


def no_specification_files() -> dict[str, FileContent]:
    """The good connector without its connect.yaml."""
    return merge(good_connector_files(), remove=["connect.yaml"])


def missing_application_folder_files() -> dict[str, FileContent]:
    """The good connector without the ``job`` folder that its connect.yaml lists."""
    return merge(good_connector_files(), remove=["job"])


def invalid_specification_files() -> dict[str, FileContent]:
    """The good connector with a reserved configuration key (PORT) in the service."""
    return replace_in_file(
        good_connector_files(), "connect.yaml", "- key: CORS_ALLOWED_ORIGINS", "- key: PORT"
    )
