"""What the request's API key may do on a route: its role, and which collections it reaches.

Every /v1 route declares the role it needs as a dependency (`ReadAccess`, `WriteAccess`,
`AdminAccess` in service/api/deps.py), which refuses a key of a lower role outright; the
route then asks `access.collection(...)` for the collection it will use, with the value it
parsed itself (query, body field or `model`), so the name checked is the name used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import Request

from service.api.auth import KEY_STATE
from service.api.keys import ApiKey, Role
from service.errors import BadRequestError, ForbiddenError


@dataclass(frozen=True)
class Access:
    key: ApiKey | None
    """None: the server has no API keys, and every request may do everything."""
    role: Role
    default: str
    queried: tuple[str, ...] = ()
    """Non-empty `?collection=` values of the request."""

    def collection(self, named: str | None) -> str:
        """The collection the route uses: `named`, else RAGCHAT_COLLECTION, if the key may.

        A `?collection=` that disagrees with it is a 400, so no part of a request can name
        one collection while the route serves another.
        """
        name = named or self.default
        if any(q != name for q in self.queried):
            raise BadRequestError(
                f"the request names collection {name!r} and also ?collection= "
                f"{', '.join(repr(q) for q in self.queried)}; name it once"
            )
        if self.key is not None and not self.key.allows(self.role, name):
            raise ForbiddenError(
                f"this API key ({self.key.describe()}) may not {self.role} collection {name!r}"
            )
        return name

    @property
    def owner(self) -> str:
        """Whose conversations the request sees: its key's, or everyone's without keys."""
        return self.key.owner if self.key is not None else ""

    def visible(self, names: Iterable[str]) -> list[str]:
        return [n for n in names if self.key is None or self.key.sees(n)]


class Need:
    """The dependency a route declares: tests find it on every /v1 route by type."""

    def __init__(self, role: Role) -> None:
        self.role = role

    def __call__(self, request: Request) -> Access:
        key: ApiKey | None = request.scope.get("state", {}).get(KEY_STATE)
        if key is None and request.app.state.api_keys:
            raise ForbiddenError("no API key was checked for this request")
        if key is not None and key.role < self.role:
            raise ForbiddenError(
                f"this API key ({key.describe()}) may not use this route, which needs "
                f"the {self.role} role"
            )
        return Access(
            key=key,
            role=self.role,
            default=request.app.state.components.settings.collection,
            queried=tuple(q for q in request.query_params.getlist("collection") if q),
        )

    def __repr__(self) -> str:
        return f"Need({self.role})"
