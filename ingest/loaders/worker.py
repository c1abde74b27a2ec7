"""The parse helper process: it imports the parsers once, then forks one worker per file.

Run by `BoundedParser` as `python -m ingest.loaders.worker FD`, where FD is its end of a
Unix socket to the server. Each message on it carries one file descriptor, a fresh
socket to a caller; the helper forks, and the child caps itself, reads the request from
that socket, parses and answers there. The helper stays single-threaded, so forking it
is safe, and it exits when the server's end closes, so it never outlives the server.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import math
import os
import signal
import socket
import struct
import sys
from dataclasses import asdict

from ingest.loaders.base import LoadedDocument, ParseLimits, load_bytes

_LENGTH = struct.Struct("!Q")


def send_message(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(payload)))
    sock.sendall(payload)


def recv_message(sock: socket.socket) -> bytearray | None:
    """One message, or None when the peer closed first (a worker that died)."""
    head = _recv_exact(sock, _LENGTH.size)
    return None if head is None else _recv_exact(sock, _LENGTH.unpack(head)[0])


def _recv_exact(sock: socket.socket, size: int) -> bytearray | None:
    buf = bytearray(size)
    with memoryview(buf) as view:
        got = 0
        while got < size:
            n = sock.recv_into(view[got:])
            if n == 0:
                return None
            got += n
    return buf


def encode_request(name: str, limits: ParseLimits) -> bytes:
    return json.dumps({"name": name, "limits": asdict(limits)}).encode()


def serve(control: socket.socket) -> None:
    """Fork a worker for each caller socket until the server closes its end."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1, 1)
        except ConnectionError:
            return
        if not message:
            return
        if not fds:
            continue
        try:
            pid = os.fork()
        except OSError:  # the caller sees its socket close unanswered
            pid = -1
        if pid == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                _work(socket.socket(fileno=fds[0]))
            except BaseException:
                code = 1
            os._exit(code)
        os.close(fds[0])


def _work(conn: socket.socket) -> None:
    request = recv_message(conn)
    if request is None:
        return
    header = json.loads(request)
    name, limits = header["name"], ParseLimits(**header["limits"])
    start = _cap_resources(limits)
    received = recv_message(conn)
    if received is None:
        return
    data = bytes(received)
    del received
    try:
        answer = _encode(load_bytes(data, name, limits=limits))
    except BaseException as exc:
        answer = _encode_error(exc, start, limits)
    del data
    send_message(conn, answer)


def _cap_resources(limits: ParseLimits) -> int:
    """The kernel ends this worker on overrun, whether or not the server is still there.

    SIGALRM's default action kills the process even inside a C call. The address space
    cap is the budget on top of what the worker maps at the start (the helper's imports,
    about 80 MB, mostly shared libraries), which this returns.
    """
    import resource

    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, limits.timeout_s)
    cpu = math.ceil(limits.timeout_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    mapped = _status_bytes("VmSize")
    if mapped:
        cap = mapped + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return mapped


def _status_bytes(field: str) -> int:
    """A size from /proc/self/status (VmSize: mapped now, VmPeak: the most ever); 0 if none."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _encode(doc: LoadedDocument) -> bytes:
    regions = [[r.start, r.end, r.metadata] for r in doc.regions]
    payload = {"text": doc.text, "title": doc.title, "metadata": doc.metadata, "regions": regions}
    return json.dumps({"ok": payload}, ensure_ascii=False).encode()


def _encode_error(exc: BaseException, start: int, limits: ParseLimits) -> bytes:
    """A failure after the parse used over half the budget is the budget's doing: lxml
    reports a failed allocation as "unknown error", not as a MemoryError."""
    chain: list[BaseException] = [exc]
    while len(chain) < 20 and (cause := chain[-1].__cause__ or chain[-1].__context__):
        chain.append(cause)  # loaders wrap what they catch: a MemoryError may be inside
    grew = _status_bytes("VmPeak") - start
    if any(isinstance(e, MemoryError) for e in chain) or grew > limits.memory_mb * 512 * 1024:
        return b'{"memory": true}'
    return json.dumps({"error": [type(exc).__name__, str(exc)]}).encode()


def main() -> None:
    import ingest.loaders  # noqa: F401  (registers every loader before the first fork)

    for module in ("docx", "pypdf", "trafilatura"):  # the loaders import these lazily
        with contextlib.suppress(ImportError):  # the loader reports a missing one itself
            importlib.import_module(module)
    gc.freeze()  # the collector would otherwise touch, and so copy, every inherited object
    serve(socket.socket(fileno=int(sys.argv[1])))


if __name__ == "__main__":
    main()
