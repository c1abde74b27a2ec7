"""API keys and what each may do: a role and the collections it reaches.

`RAGCHAT_API_KEYS` entries are `KEY[:ROLE[@COLLECTIONS]]`, e.g.
`rk-a:read@handbook+policies, rk-b:write, rk-c`. A bare key keeps the full rights every key
had before scopes existed, so old settings mean what they meant. Collections come only after
a role, so an old key holding '@' stops startup instead of turning into a shorter key scoped
to the rest of it (`old@abc` is not key `old` on collection `abc`).

Errors name the setting and the entry's position, never the key, since startup errors end
up in logs: not even a role or collection name is echoed, as it may be the tail of an old
key that held ':' or '@'.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

from ingest.index import InvalidCollectionError, check_collection

KEYS_SETTING = "RAGCHAT_API_KEYS"
FILE_SETTING = "RAGCHAT_API_KEYS_FILE"
EVERY = "*"
_FORBIDDEN_IN_KEY = frozenset(":@,")
_HINT = "(a key itself may not contain ':' or '@')"


class Role(IntEnum):
    """Each role holds the rights of those below it."""

    READ = 1
    WRITE = 2
    ADMIN = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class ApiKey:
    secret: bytes = field(repr=False)
    role: Role = Role.ADMIN
    collections: frozenset[str] | None = None
    """None: every collection, present and future (`*`)."""
    label: str = "key"
    """Names the key in logs and rate limits without showing it: `RAGCHAT_API_KEYS#2`."""

    def sees(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def allows(self, role: Role, collection: str) -> bool:
        return self.role >= role and self.sees(collection)

    @property
    def owner(self) -> str:
        """What a conversation records as its owner: a digest of the key, stable when the
        keys are listed in another order, and useless for finding the key itself."""
        return hashlib.sha256(b"ragchat conversation owner\0" + self.secret).hexdigest()[:32]

    def describe(self) -> str:
        where = EVERY if self.collections is None else "+".join(sorted(self.collections))
        return f"{self.role}@{where}"


class KeySpecError(ValueError):
    pass


def parse_role(text: str, where: str) -> Role:
    try:
        return Role[text.strip().upper()]
    except KeyError:
        raise KeySpecError(f"{where}: unknown role; use read, write or admin {_HINT}") from None


def parse_collections(names: Iterable[str], where: str) -> frozenset[str] | None:
    listed = [n.strip() for n in names]
    if not listed or "" in listed:
        raise KeySpecError(f"{where}: empty collection name; use names joined by + or *")
    if EVERY in listed:
        if len(listed) > 1:
            raise KeySpecError(f"{where}: * already means every collection; list no others")
        return None
    try:
        return frozenset(check_collection(n) for n in listed)
    except InvalidCollectionError:
        raise KeySpecError(
            f"{where}: invalid collection name; use 1-63 letters, digits, '.', '_' or '-' {_HINT}"
        ) from None


def check_secret(secret: str, where: str, *, env: bool) -> bytes:
    if not secret:
        raise KeySpecError(f"{where}: the key is empty")
    if any(c.isspace() for c in secret):
        raise KeySpecError(f"{where}: a key may not contain spaces")
    if env and _FORBIDDEN_IN_KEY & set(secret):
        raise KeySpecError(f"{where}: a key may not contain ':', '@' or ','")
    return secret.encode()


def parse_entry(entry: str, position: int) -> ApiKey:
    """`KEY[:ROLE[@COLLECTIONS]]`; the key ends at the first ':' or '@'."""
    where = f"{KEYS_SETTING} entry {position}"
    rest, at, names = entry.partition("@")
    secret, colon, role = rest.partition(":")
    if at and not colon:
        raise KeySpecError(f"{where}: collections need a role first: KEY:ROLE@COLLECTIONS {_HINT}")
    if colon and not role.strip():
        raise KeySpecError(f"{where}: nothing after ':'; use read, write or admin")
    return ApiKey(
        secret=check_secret(secret.strip(), where, env=True),
        role=parse_role(role, where) if colon else Role.ADMIN,
        collections=parse_collections(names.split("+"), where) if at else None,
        label=f"{KEYS_SETTING}#{position}",
    )


def parse_keys(raw: str) -> list[ApiKey]:
    """Comma-separated entries; blanks around and between them are dropped."""
    entries = [e.strip() for e in raw.split(",")]
    return [parse_entry(e, n) for n, e in enumerate(entries, start=1) if e]


def parse_keys_file(data: Mapping[str, object], source: str) -> list[ApiKey]:
    """`[[keys]]` tables with `key`, and optional `role` and `collections` (a list)."""
    tables = data.get("keys", [])
    if not isinstance(tables, list):
        raise KeySpecError(f"{FILE_SETTING} {source}: `keys` must be an array of tables")
    keys = []
    for n, table in enumerate(tables, start=1):
        where = f"{FILE_SETTING} {source} key {n}"
        if not isinstance(table, dict):
            raise KeySpecError(f"{where}: must be a table with key, role and collections")
        unknown = set(table) - {"key", "role", "collections"}
        if unknown:
            raise KeySpecError(f"{where}: unknown fields {sorted(unknown)}")
        secret, role = table.get("key"), table.get("role", "admin")
        names = table.get("collections", [EVERY])
        if not isinstance(secret, str) or not isinstance(role, str):
            raise KeySpecError(f"{where}: `key` and `role` must be strings")
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            raise KeySpecError(f'{where}: `collections` must be a list of names, or ["*"]')
        keys.append(
            ApiKey(
                secret=check_secret(secret, where, env=False),
                role=parse_role(role, where),
                collections=parse_collections(names, where),
                label=f"{FILE_SETTING}#{n}",
            )
        )
    return keys


def load_keys(raw: str | None, path: Path | None) -> list[ApiKey]:
    """The keys of both settings; a key listed twice is an error, as its rights would be."""
    keys = parse_keys(raw or "")
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise KeySpecError(f"{FILE_SETTING}: cannot read {path}: {exc}") from None
        keys += parse_keys_file(data, str(path))
    seen: dict[bytes, str] = {}
    for key in keys:
        if key.secret in seen:
            raise KeySpecError(f"{key.label} repeats the key of {seen[key.secret]}")
        seen[key.secret] = key.label
    return keys
