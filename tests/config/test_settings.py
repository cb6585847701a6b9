"""Settings from the environment: strict parsing, production refusals, `check --deploy`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()

# Reads of the environment in the code: the typed helpers, os.environ / os.getenv, and the
# ${NAME…} expansions of the ./workbench script.
PYTHON_READS = re.compile(
    r"""(?:env_(?:str|bool|int|list|choice|proxy_header)\(\s*|os\.environ(?:\.get)?[\[(]\s*"""
    r"""|os\.getenv\(\s*|os\.environ\.setdefault\(\s*)["']([A-Z][A-Z0-9_]*)["']"""
)
SHELL_READS = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def outside_environment() -> dict[str, str]:
    """This process's environment less what the test harness itself set (the test database
    and broker, pytest's variables, and the async-safety switch the browser tests need)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEST_", "PYTEST_")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }


def settings_under(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    """Loads the settings in a fresh interpreter with ``env`` and prints ``names`` as JSON."""
    clean = outside_environment()
    for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"):
        clean.pop(name, None)
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Builds the ASGI application as a server does, with ``env`` over a clean environment."""
    clean = outside_environment()
    for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"):
        clean.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", "import config.asgi; print('SERVING')"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_environment() -> dict[str, str]:
    """The variables the README's production example sets, evaluated by bash as written."""
    block = README.split("# The production environment", 1)[1].split("```", 1)[0]
    names = re.findall(r"^([A-Z][A-Z0-9_]*)=", block, flags=re.MULTILINE)
    assert names, "the README's production example sets no variables"
    script = (
        f"{block}\nfor name in {' '.join(names)}; do printf '%s=%s\\0' $name \"${{!name}}\"; done"
    )
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    pairs = [item.split("=", 1) for item in result.stdout.split("\0") if item]
    return dict(pairs)


def test_an_unknown_boolean_value_is_an_error_naming_the_variable():
    result = settings_under({"CONNECTORS_ALLOW_LOCAL_REPOSITORIES": "ture"}, "DEBUG")
    assert result.returncode != 0
    assert "CONNECTORS_ALLOW_LOCAL_REPOSITORIES='ture' is not a boolean" in result.stderr


def test_boolean_spellings_and_numbers_are_read_strictly():
    result = settings_under(
        {"DEBUG": "Off", "SECURE_COOKIES": "YES", "SECURE_HSTS_SECONDS": "3600"},
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 3600,
    }
    broken = settings_under({"SECURE_HSTS_SECONDS": "a year"}, "DEBUG")
    assert "SECURE_HSTS_SECONDS='a year' is not a whole number" in broken.stderr


def test_the_proxy_header_variable_becomes_the_meta_name_and_value():
    result = settings_under(
        {"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, "SECURE_PROXY_SSL_HEADER"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]
    }
    broken = settings_under({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "DEBUG")
    assert "is not 'Header-Name: value'" in broken.stderr


def test_the_server_refuses_the_development_secret_key_with_debug_off():
    result = serve({"DEBUG": "false"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "will not serve with DEBUG off: SECRET_KEY is not set" in result.stderr
    assert "SERVING" not in result.stdout


def test_the_server_refuses_an_empty_allowed_hosts_with_debug_off():
    result = serve(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "-unique-enough-0123456789",
            "ALLOWED_HOSTS": "",
        }
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is empty" in result.stderr


def test_the_server_starts_with_debug_on_or_with_real_values():
    assert "SERVING" in serve({"DEBUG": "true"}).stdout
    production = serve({**production_environment(), "ALLOWED_HOSTS": "workbench.example.com"})
    assert "SERVING" in production.stdout, production.stderr


def test_check_deploy_is_clean_with_the_documented_production_variables():
    env = outside_environment()
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**env, **production_environment()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_the_production_variables_check_deploy_names_what_is_missing():
    env = outside_environment()
    env.update({"DEBUG": "false", "SECRET_KEY": production_environment()["SECRET_KEY"]})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def environment_reads() -> set[str]:
    names: set[str] = set()
    for folder in ("config", "connectors", "certification"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(PYTHON_READS.findall(path.read_text()))
    names |= set(PYTHON_READS.findall((ROOT / "manage.py").read_text()))
    names |= set(SHELL_READS.findall((ROOT / "workbench").read_text()))
    return names


def test_every_variable_the_code_reads_is_in_the_readme_table():
    rows = [line for line in README.splitlines() if line.startswith("|")]
    documented = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row)}
    reads = environment_reads()
    assert {"DATABASE_URL", "SECRET_KEY", "PORT", "LOG_FORMAT"} <= reads  # the grep works
    assert sorted(reads - documented) == []
