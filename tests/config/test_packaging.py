"""The built wheel carries every file the code reads, and runs from outside the source tree."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from connectors import samples

ROOT = Path(__file__).resolve().parents[2]
# What a build reads: the packaging files and the folders that go into the wheel.
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
FOLDERS = ("config", "connectors", "certification", "templates", "static")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel --no-deps`` of a copy of the tree (a build writes into the folder it reads)."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        shutil.copy2(ROOT / name, source / name)
    for name in FOLDERS:
        shutil.copytree(
            ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("connector_workbench-*.whl")
    return built


def test_the_wheel_contains_the_templates_static_files_and_semgrep_rules(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    source_files = {
        f"config/site/{path.relative_to(ROOT)}"
        for folder in ("templates", "static")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert source_files and source_files <= names, sorted(source_files - names)[:10]
    rules = {str(p.relative_to(ROOT)) for p in (ROOT / "connectors/checks/semgrep").glob("*.yaml")}
    assert rules and rules <= names
    assert "config/gunicorn.py" in names and "connectors/monitoring.py" in names


def test_the_installed_wheel_runs_from_outside_the_source_tree(wheel, tmp_path):
    # A fresh virtualenv with the wheel alone installed; its dependencies are read from the
    # project's environment, placed after the venv's own site-packages (its .pth files, such
    # as the editable install's, are not run).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    venv_site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (venv_site / "project-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    repository = samples.create_repository(tmp_path / "repo", samples.good_connector_files())
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST_"))}
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WORKBENCH_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
    }
    env.pop("REDIS_URL", None)

    def django(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-m", "django", *args],
            cwd=outside,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    validated = django("validate_connector", str(repository.path), "--json")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert json.loads(validated.stdout)["valid"] is True

    where = subprocess.run(
        [
            python,
            "-c",
            "import django, config, connectors.checks.code as code; django.setup();"
            "from django.conf import settings; from django.template.loader import get_template;"
            "get_template('_base.html'); get_template('api/swagger_ui.html');"
            "print(config.__file__); print(len(list(code.RULES_DIR.glob('*.yaml'))))",
        ],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert where.returncode == 0, where.stderr
    package_file, rule_count = where.stdout.split()
    assert package_file.startswith(str(venv)), package_file  # not the source tree
    assert int(rule_count) >= 3

    assert django("check").returncode == 0
    migrated = django("migrate", "--no-input", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    collected = django("collectstatic", "--no-input", "-v0")
    assert collected.returncode == 0, collected.stderr
    static = tmp_path / "var" / "staticfiles"
    assert (static / "css" / "dashboard.css").is_file()
    assert (
        static / "drf_spectacular_sidecar" / "swagger-ui-dist" / "swagger-ui-bundle.js"
    ).is_file()
