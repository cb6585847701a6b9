"""Packaging beside pyproject.toml: the wheel carries the site's templates and static files.

They live at the top of the source tree (templates/, static/), outside any package; the
build copies them into the ``config`` package as ``config/site/templates`` and
``config/site/static``, where the settings look when the code runs from an installed wheel.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SITE_FOLDERS = ("templates", "static")


class BuildWithSiteFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads them from the source tree
        root = Path(__file__).resolve().parent
        for name in SITE_FOLDERS:
            target = Path(self.build_lib) / "config" / "site" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root / name, target)


setup(cmdclass={"build_py": BuildWithSiteFiles})
