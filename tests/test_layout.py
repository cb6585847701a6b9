"""Test modules never import other test modules.

One test module borrowing from another ties them together: the importer runs the other's
module-level code and skip marks do not follow, a fixture only works once imported under a
name nothing seems to use, and a test function imported by name is collected and run twice.
Fixtures several modules share belong in the nearest conftest.py, helpers and sample data in
plain modules whose names do not start with ``test_`` (build_samples.py, live_stack.py, …).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_test_modules(path: Path, root: Path = ROOT) -> list[str]:
    """The ``test_`` modules under ``root`` that the Python file at ``path`` imports, by name,
    whether absolutely (``tests.a.test_b``), relatively (``.test_b``) or as a name imported
    from a package (``from tests.a import test_b``)."""
    package = list(path.relative_to(root).parent.parts)
    candidates: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            candidates += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            candidates.append(base)
            candidates += [f"{base}.{alias.name}" for alias in node.names]
    found = []
    for name in candidates:
        parts = name.split(".")
        module = root.joinpath(*parts)
        is_module = module.with_suffix(".py").is_file() or (module / "__init__.py").is_file()
        if parts[-1].startswith("test_") and is_module and module.with_suffix(".py") != path:
            found.append(name)
    return sorted(set(found))


def test_no_module_of_the_test_suite_imports_a_test_module():
    offenders = {
        str(path.relative_to(ROOT)): imported
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (imported := imported_test_modules(path))
    }
    assert offenders == {}, (
        "test modules imported by other modules (move shared fixtures to a conftest.py and "
        f"helpers to a module not named test_*): {offenders}"
    )


def test_the_check_sees_every_way_of_importing_a_test_module(tmp_path):
    package = tmp_path / "tests" / "area"
    package.mkdir(parents=True)
    for name in ("__init__.py", "test_other.py", "samples.py"):
        (package / name).write_text("def test_like_helper():\n    pass\n")
    (tmp_path / "tests" / "__init__.py").write_text("")
    importer = package / "test_importer.py"
    importer.write_text(
        "import tests.area.test_other\n"
        "from tests.area.test_other import test_like_helper\n"
        "from tests.area import test_other\n"
        "from . import test_other as other\n"
        "from .test_other import test_like_helper as again\n"
        "from ..area.test_other import test_like_helper as once_more\n"
    )
    assert imported_test_modules(importer, tmp_path) == ["tests.area.test_other"]

    importer.write_text(
        "from .samples import test_like_helper\n"  # a function named test_*, not a test module
        "from tests.area import samples\n"
        "import json\n"
        "from . import test_importer\n"  # itself
    )
    assert imported_test_modules(importer, tmp_path) == []
