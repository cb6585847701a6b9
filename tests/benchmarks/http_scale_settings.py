"""The project's settings, with the floor view of api_latency.py beside the project's URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.api_latency"
