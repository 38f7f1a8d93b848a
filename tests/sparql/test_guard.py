"""kg.sparql.guard: the one home of the SERVICE/LOAD, query-only and update rules.

The endpoint-level behaviour is tested over HTTP in tests/server/test_sparql_safety.py;
these are the rules themselves, as every caller (web layer, backends, CLI) gets them.
"""

from __future__ import annotations

import pytest

from kg.errors import Forbidden, ForbiddenOperation, QuerySyntaxError, Unauthorized
from kg.sparql.guard import (
    InvalidUpdateToken,
    authorise_update,
    check_query,
    is_loopback,
    require_query,
    unauthenticated_update_refusal,
)

ENDPOINT = "http://127.0.0.1:9/sparql"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"SELECT * {{ SERVICE <{ENDPOINT}> {{ ?s ?p ?o }} }}", id="not-listed"),
        pytest.param("SELECT * { SERVICE ?e { ?s ?p ?o } }", id="variable"),
        pytest.param("PREFIX e: <http://127.0.0.1:9/> ASK { SERVICE e:sparql {} }", id="pname"),
    ],
)
def test_check_query_refuses_unlisted_services(text: str) -> None:
    with pytest.raises(ForbiddenOperation):
        check_query(text, (), verify=None)


def test_check_query_lets_listed_services_through_and_refuses_updates() -> None:
    listed = f"SELECT * {{ SERVICE <{ENDPOINT}> {{ ?s ?p ?o }} }}"
    assert check_query(listed, (ENDPOINT,), verify=None).form == "SELECT"
    for update in ("DROP ALL", "INSERT DATA { <http://e/s> <http://e/p> 1 }"):
        with pytest.raises(QuerySyntaxError):
            require_query(update)
        with pytest.raises(QuerySyntaxError):
            check_query(update, (ENDPOINT,), verify=None)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.org", False),
    ],
)
def test_unauthenticated_updates_only_on_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    refusal = unauthenticated_update_refusal(allow_update=True, update_token=None, host=host)
    assert (refusal is None) is loopback
    assert unauthenticated_update_refusal(allow_update=True, update_token="t", host=host) is None
    assert unauthenticated_update_refusal(allow_update=False, update_token=None, host=host) is None


def test_authorise_update() -> None:
    with pytest.raises(Forbidden):
        authorise_update(enabled=False, token="t", authorization="Bearer t")
    authorise_update(enabled=True, token=None, authorization="")  # --allow-update
    authorise_update(enabled=True, token="secret", authorization="Bearer secret")
    authorise_update(enabled=True, token="secret", authorization="bearer  secret ")
    for header in ("", "Basic secret", "Bearer "):
        with pytest.raises(Unauthorized) as refused:
            authorise_update(enabled=True, token="secret", authorization=header)
        assert not isinstance(refused.value, InvalidUpdateToken)
    with pytest.raises(InvalidUpdateToken):
        authorise_update(enabled=True, token="secret", authorization="Bearer guess")
