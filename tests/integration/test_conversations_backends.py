"""What differs between the databases under the conversations API: PostgreSQL cannot store
a NUL character, SQLite can; neither may make it a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.components import Components
from service.main import create_app
from tests.postgres_server import DATABASE

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends


def test_a_nul_character_is_a_clear_400_or_stored(article_components: Components) -> None:
    client = TestClient(create_app(components=article_components))
    body = {"messages": [{"role": "user", "content": "Who signed the joint statement?"}]}
    cid = client.post("/v1/chat", json=body).json()["conversation_id"]
    r = client.patch(f"/v1/conversations/{cid}", json={"title": "a\x00b"})
    if DATABASE.mode == "postgres":
        assert r.status_code == 400, r.text
        assert "cannot store" in r.json()["error"]["message"]
    else:
        assert r.status_code == 200, r.text
    r = client.post(
        f"/v1/conversations/{cid}/turns/1/feedback", json={"rating": "down", "comment": "\x00"}
    )
    assert r.status_code == (400 if DATABASE.mode == "postgres" else 201), r.text
