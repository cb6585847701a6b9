"""POST /oauth/token under guessing: failures throttled per client id and per address (429
with Retry-After), and an unknown client id costs the same password hash as a known one."""

from __future__ import annotations

import base64
from typing import ClassVar

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.test import Client

from tests.conftest import make_credentials

from .error_bodies import error_of


class CountingHasher(MD5PasswordHasher):
    """A real (fast) hasher that counts how many hashes it computes."""

    algorithm = "counting_md5"
    computed: ClassVar[list[str]] = []

    def encode(self, password, salt):
        CountingHasher.computed.append(password)
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def _throttle_settings(settings):
    cache.clear()  # counters of an earlier test in the same window
    settings.CONNECTORS_AUTH_FAILURES_PER_CLIENT = 5
    settings.CONNECTORS_AUTH_FAILURES_PER_ADDRESS = 20
    settings.CONNECTORS_AUTH_FAILURE_WINDOW_SECONDS = 300
    yield
    cache.clear()


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def ask(authorization: str, address: str = "192.0.2.1"):
    return Client(REMOTE_ADDR=address).post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": authorization},
    )


def test_wrong_secrets_for_one_client_end_in_429_with_retry_after(manager_credentials):
    wrong = basic(manager_credentials.client_id, "not-the-secret")
    statuses = [ask(wrong).status_code for _ in range(5)]
    assert statuses == [401] * 5

    throttled = ask(wrong)
    body = error_of(throttled, 429, "TooManyRequests")
    assert 1 <= int(throttled["Retry-After"]) <= 300
    assert body["error"] == "slow_down"
    # The right secret waits too: the guesser cannot tell it found it.
    assert ask(manager_credentials.basic).status_code == 429
    # Another address is throttled for this client id as well (the id is what is attacked).
    assert ask(manager_credentials.basic, address="192.0.2.99").status_code == 429


def test_other_clients_are_not_throttled_by_someone_elses_failures(manager_credentials, project):
    for _ in range(6):
        ask(basic(manager_credentials.client_id, "wrong"), address="192.0.2.7")
    other = make_credentials(project, "view_connectors")
    assert ask(other.basic, address="192.0.2.8").status_code == 200


def test_one_address_guessing_many_client_ids_ends_in_429(manager_credentials):
    statuses = [ask(basic(f"guess-{i}", "secret")).status_code for i in range(20)]
    assert statuses == [401] * 20
    throttled = ask(manager_credentials.basic)
    error_of(throttled, 429, "TooManyRequests")
    assert ask(manager_credentials.basic, address="192.0.2.2").status_code == 200


def test_a_successful_token_request_is_not_counted(manager_credentials):
    statuses = {ask(manager_credentials.basic).status_code for _ in range(25)}
    assert statuses == {200}


def test_introspection_failures_count_too(manager_credentials):
    wrong = {"Authorization": basic(manager_credentials.client_id, "wrong")}
    client = Client(REMOTE_ADDR="192.0.2.3")
    statuses = [
        client.post("/oauth/introspect", {"token": "t"}, headers=wrong).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_an_unknown_client_id_costs_the_same_hash_as_a_wrong_secret(project, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    known_client = make_credentials(project, "view_connectors")  # hashed by CountingHasher
    CountingHasher.computed.clear()
    assert ask(basic(known_client.client_id, "wrong")).status_code == 401
    known = len(CountingHasher.computed)
    CountingHasher.computed.clear()
    assert ask(basic("no-such-client", "wrong")).status_code == 401
    unknown = len(CountingHasher.computed)
    CountingHasher.computed.clear()
    introspected = Client().post(
        "/oauth/introspect", {"token": "t"}, headers={"Authorization": basic("nobody", "x")}
    )
    assert introspected.status_code == 401
    assert known == unknown == len(CountingHasher.computed) == 1
