"""Twenty simultaneous updates of one draft with one version: exactly one wins."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.conftest import draft_body


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_updates_with_one_version_give_one_201_and_nineteen_409(
    live_server, api, good_repo
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    created = api.post("/connectors/drafts", draft_body(good_repo.url)).json()
    url = f"{live_server.url}/connectors/drafts/{created['id']}"
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        body = json.dumps(
            {
                "version": 1,
                "actions": [
                    {"action": "setName", "name": f"writer {index}"},
                    {"action": "setCreatorTitle", "creatorTitle": f"title {index}"},
                    {"action": "addCertificationComment", "comment": f"comment {index}"},
                ],
            }
        ).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [409] * 19
    final = api.get(f"/connectors/drafts/{created['id']}").json()
    assert final["version"] == 2
    winner = final["name"].removeprefix("writer ")
    assert final["creator"]["title"] == f"title {winner}"
    assert [c["comment"] for c in final["certificationInfo"]["comments"]] == [f"comment {winner}"]
