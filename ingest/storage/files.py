"""Uploaded originals as files under the data dir: the embedded blob store.

A blob's locator is its file's absolute path, the same string uploads were indexed under
before blob stores existed, so their document ids stay what they were.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ingest.storage.leases import process_alive

TEMP_PREFIX = ".upload-"


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def locator(self, collection: str, key: str) -> str:
        return str((self.root / collection / key).resolve())

    def owns(self, locator: str | None) -> bool:
        return bool(locator) and self.root.resolve() in Path(str(locator)).resolve().parents

    def put(self, collection: str, key: str, data: bytes) -> str:
        """Write beside the target, then rename: a reader sees the old file or the new one."""
        folder = self.root / collection
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{os.getpid()}-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, folder / key)
        finally:
            tmp.unlink(missing_ok=True)
        return self.locator(collection, key)

    def read(self, locator: str) -> bytes | None:
        path = Path(locator)
        return path.read_bytes() if self.owns(locator) and path.is_file() else None

    def delete(self, locator: str) -> None:
        if self.owns(locator):
            Path(locator).unlink(missing_ok=True)

    def entries(self) -> list[tuple[str, str]]:
        """(collection, locator) of every stored original."""
        if not self.root.is_dir():
            return []
        return [
            (folder.name, str(path.resolve()))
            for folder in sorted(p for p in self.root.iterdir() if p.is_dir())
            for path in sorted(folder.iterdir())
            if not path.name.startswith(TEMP_PREFIX)
        ]

    def recover(self) -> int:
        """Delete the half-written files of writers that died; returns how many."""
        removed = 0
        if not self.root.is_dir():
            return removed
        for path in self.root.glob(f"*/{TEMP_PREFIX}*"):
            pid = path.name[len(TEMP_PREFIX) :].split("-", 1)[0]
            if not (pid.isdigit() and process_alive(int(pid))):
                path.unlink(missing_ok=True)
                removed += 1
        return removed
