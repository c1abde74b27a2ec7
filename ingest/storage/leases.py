"""Who holds a document's write lease, and when a holder counts as gone.

Owners are `host:pid:random`. A lease ends when it expires; its holder renews it while it
writes (`Index` does, from a thread), so only a holder that stopped lets it expire. A holder
on this host whose process has died lets it go at once, without waiting for the expiry.
"""

from __future__ import annotations

import os
import socket
import uuid

HOST = socket.gethostname()


class LeaseBusyError(RuntimeError):
    """Another live writer holds the document for longer than we were willing to wait."""


def new_lease_owner() -> str:
    """`host:pid:random`: unique per write, and says which process to ask whether it lives."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_is_gone(owner: str) -> bool:
    """True when the owner ran on this host in a process that has since died.

    A lease from another host is only ever ended by its expiry.
    """
    parts = owner.split(":")
    if len(parts) < 3 or not parts[-2].isdigit():
        return False
    host, pid = ":".join(parts[:-2]), int(parts[-2])
    if host != HOST:
        return False
    return pid != os.getpid() and not process_alive(pid)


def process_alive(pid: int) -> bool:
    """True while a process of this pid exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lease_is_stale(owner: str, expires: float | None, now: float) -> bool:
    """Expired, or held by a dead process of this host. Expiry counts on this host too:
    containers may share a host name and not a process table, and a pid may be reused."""
    if (expires or 0.0) < now:
        return True
    return owner.startswith(f"{HOST}:") and owner_is_gone(owner)


def lost_lease(collection: str, document_id: str) -> LeaseBusyError:
    return LeaseBusyError(
        f"document {document_id} in {collection!r}: the write lease was lost "
        "(it expired and another writer took it over)"
    )
