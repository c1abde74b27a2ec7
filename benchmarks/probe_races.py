"""Count what concurrent writes lose, on a real `ragchat serve` started from a checkout.

    python benchmarks/probe_races.py                 # this checkout
    python benchmarks/probe_races.py --checkout DIR  # another one (e.g. a worktree of an
                                                     # older commit), for a before/after

Three probes, each bounded: 20 uploads racing 20 deletes; 60 distinct uploads at once; and
ROUNDS rounds of 10 same-name uploads at once. A document "lost its vectors" when a
dense-only search filtered to it finds nothing; a same-name round is "inconsistent" when the
stored file, the indexed text and the vectors are not all from one upload.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

COLLECTION = "probe"


def text_for(name: str, n: int) -> str:
    return (
        f"Report {name} number {n}. The inspection of site {n} found {n * 7} cracked tiles "
        f"and {n + 3} loose railings. The inspector signed it on day {n} of the survey.\n"
    )


def upload(url: str, name: str, text: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/documents",
        params={"collection": COLLECTION, "replace": "true"},
        files={"file": (name, text.encode())},
        timeout=600,
    )


def documents(url: str) -> dict[str, dict]:
    r = httpx.get(f"{url}/v1/documents", params={"collection": COLLECTION}, timeout=60)
    return {d["source"]: d for d in r.json()["documents"]}


def has_vectors(url: str, doc: dict, query: str) -> bool:
    r = httpx.post(
        f"{url}/v1/search",
        json={
            "query": query,
            "collection": COLLECTION,
            "mode": "dense",
            "filters": {"document_id": doc["document_id"]},
        },
        timeout=60,
    )
    return bool(r.json()["results"])


def probe(url: str, data_dir: Path, rounds: int) -> dict[str, str]:
    old = [upload(url, f"old-{i}.txt", text_for("old", i)).json() for i in range(20)]
    with ThreadPoolExecutor(16) as pool:
        ups = [pool.submit(upload, url, f"new-{i}.txt", text_for("new", i)) for i in range(20)]
        for d in old:
            pool.submit(
                httpx.delete,
                f"{url}/v1/documents/{d['document_id']}",
                params={"collection": COLLECTION},
                timeout=600,
            )
        [f.result() for f in ups]
    docs = documents(url)
    lost_race = sum(
        not has_vectors(url, docs[f"new-{i}.txt"], text_for("new", i))
        for i in range(20)
        if f"new-{i}.txt" in docs
    )
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: upload(url, f"many-{i}.txt", text_for("many", i)), range(60)))
    docs = documents(url)
    lost_many = sum(
        not has_vectors(url, docs[f"many-{i}.txt"], text_for("many", i))
        for i in range(60)
        if f"many-{i}.txt" in docs
    )
    bad_rounds = 0
    for r in range(rounds):
        texts = [text_for(f"same-{r}", n) for n in range(10)]
        with ThreadPoolExecutor(10) as pool:
            list(pool.map(lambda t: upload(url, "same.txt", t), texts))
        doc = documents(url)["same.txt"]
        stored = httpx.get(
            f"{url}/v1/documents/{doc['document_id']}", params={"collection": COLLECTION}
        ).json()["text"]
        file_text = (data_dir / "uploads" / COLLECTION / "same.txt").read_text()
        agree = (
            file_text == stored
            and doc["content_hash"] == hashlib.sha256(stored.encode()).hexdigest()
            and has_vectors(url, doc, stored)
        )
        bad_rounds += not agree
    return {
        "uploads racing deletes: new documents without vectors": f"{lost_race}/20",
        "60 uploads at once: documents without vectors": f"{lost_many}/60",
        "same-name rounds whose file, text and vectors disagree": f"{bad_rounds}/{rounds}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RAGCHAT_DATA_DIR": tmp, "HF_HUB_OFFLINE": "1"}
        env.pop("RAGCHAT_API_KEYS", None)
        env["RAGCHAT_RATE_LIMIT__PER_IP"] = "0"
        cmd = [sys.executable, "-m", "service.cli", "serve", "--port", str(port)]
        proc = subprocess.Popen(
            cmd, cwd=args.checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            results = probe(url, Path(tmp), args.rounds)
        finally:
            proc.terminate()
            proc.wait(60)
    print(f"checkout {args.checkout}")
    for name, value in results.items():
        print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
