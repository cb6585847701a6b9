"""The processes running on this machine, for tests that check a sandboxed command left none."""

from __future__ import annotations

import subprocess
import time


def processes_with(text: str, wait: float = 5.0) -> list[str]:
    """Processes whose command line has ``text``, once the killed ones had time to go."""
    deadline = time.monotonic() + wait
    while True:
        listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        found = [line for line in listing.splitlines() if text in line and "ps -eo" not in line]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
