"""Secret scanning of large files with long lines, within its bounds.

Run:
  .venv/bin/python tests/benchmarks/secret_scan.py [--size BYTES] [--seconds S]

For each shape, a repository with a service application and a connect.yaml (or a bundle) of
about --size bytes (default 1.5 MB) is written to a temporary folder and the Secret scanning
check runs over it with the time budget --seconds (default: CONNECTORS_SECRET_SCAN_SECONDS).
It prints the time taken, the outcome, the findings by type and whether the budget ran out.

Runs of spaces inside long lines are the shape that took detect-secrets minutes: its
expressions for YAML comments and allowlist pragmas backtrack over each run once per start
position. A real-looking secret is planted on an early line of each file; "found" says
whether it was reported.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from connectors.checks.base import Application, CheckContext  # noqa: E402
from connectors.checks.secrets import SecretCheck  # noqa: E402

# Made up, with the shape of a generated key; assembled so scanners of this file skip it.
PLANTED = "Zr4Tq9Lm2Xv7Bn5K" + "p8Wd3Hs6Jf1Gc0Qa"
HEADER = (
    "deployAs:\n"
    "  - name: service\n"
    "    applicationType: service\n"
    "    configuration:\n"
    "      standardConfiguration:\n"
    "        - key: PROVIDER_KEY\n"
    f'          default: "{PLANTED}"\n'
)
RANDOM = random.Random(7)


def _random(length: int) -> str:
    return "".join(RANDOM.choice(string.ascii_letters + string.digits) for _ in range(length))


SHAPES = {
    # name: (file, header, one more line, numbered by n)
    "quoted values, 20,000 spaces": (
        "connect.yaml",
        HEADER,
        lambda n: f"        - key: K{n}\n          description: '{' ' * 20_000}x'\n",
    ),
    "plain values, 20,000 spaces": (
        "connect.yaml",
        HEADER,
        lambda n: f"        - key: K{n}\n          description: {' ' * 20_000}x\n",
    ),
    "comments after 20,000 spaces": (
        "connect.yaml",
        HEADER,
        lambda n: f"        - key: K{n}\n          description: a{' ' * 20_000}# note\n",
    ),
    "4,000 spaces a line": (
        "connect.yaml",
        HEADER,
        lambda n: f"        - key: K{n}\n          description: '{' ' * 4_000}x'\n",
    ),
    "random 5,000-character values": (
        "connect.yaml",
        HEADER,
        lambda n: f'        - key: K{n}\n          description: "{_random(5_000)}"\n',
    ),
    "short lines": (
        "connect.yaml",
        HEADER,
        lambda n: f"        - key: SETTING_{n}\n          description: setting number {n}\n",
    ),
    "minified bundle": (
        "service/src/bundle.js",
        f"var clientSecret='{PLANTED}';\n",
        lambda n: "var a=function(b){return b.c+1};" * 2_000 + "\n",
    ),
}


def build(folder: Path, name: str, size: int) -> None:
    relative, header, line = SHAPES[name]
    (folder / "service" / "src").mkdir(parents=True)
    (folder / "service" / "src" / "index.js").write_text("module.exports = {};\n")
    parts = [header]
    total = len(header)
    number = 0
    while total < size:
        text = line(number)
        parts.append(text)
        total += len(text)
        number += 1
    path = folder / relative
    path.write_text("".join(parts))
    if relative != "connect.yaml":
        (folder / "connect.yaml").write_text(HEADER)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_500_000)
    parser.add_argument("--seconds", type=float, default=None)
    arguments = parser.parse_args(argv)
    if arguments.seconds is not None:
        settings.CONNECTORS_SECRET_SCAN_SECONDS = arguments.seconds
    print(
        f"budget {settings.CONNECTORS_SECRET_SCAN_SECONDS} s, "
        f"file limit {settings.CONNECTORS_SECRET_MAX_FILE_BYTES:,} bytes, "
        f"files of about {arguments.size:,} bytes"
    )
    print(f"{'shape':32} {'seconds':>8} {'status':>10} {'found':>6}  entries / budget")
    for name in SHAPES:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            build(folder, name, arguments.size)
            context = CheckContext(
                root=folder,
                applications=[Application("service", "service", folder / "service")],
            )
            started = time.perf_counter()
            outcome = SecretCheck().run(context)
            seconds = time.perf_counter() - started
        types = Counter(f.type for f in outcome.findings)
        found = any(f.line is not None and f.type == "Error" for f in outcome.findings)
        budget = any("time budget" in f.message for f in outcome.findings)
        print(
            f"{name:32} {seconds:8.2f} {outcome.status:>10} {'yes' if found else 'no':>6}  "
            f"{dict(types)} / {'ran out' if budget else 'kept'}"
        )


if __name__ == "__main__":
    main()
