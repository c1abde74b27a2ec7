"""Eval datasets, detected by shape: ragchat JSONL, SQuAD v1/v2 (XQuAD), RGB, RealTime QA.

Each becomes an EvalSet: documents to index and questions with gold alias groups.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class EvalDoc:
    id: str
    name: str
    text: str


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: list[list[str]]
    support: str | None = None
    gold_docs: tuple[str, ...] = ()
    unanswerable: bool = False
    messages: tuple[dict[str, str], ...] = ()
    passages: tuple[str, ...] = ()  # RGB: the ids of the question's own passages
    split: str = ""  # ragchat sets: "tune" or "held-out"
    kind: str = ""  # ragchat sets: "fact", "field", "near-miss", "follow-up", ...
    collection: str = ""  # ragchat sets: asked in this collection of a --url service, as is


@dataclass
class EvalSet:
    name: str
    format: str
    documents: list[EvalDoc] = field(default_factory=list)
    items: list[EvalItem] = field(default_factory=list)
    corpus_paths: list[Path] = field(default_factory=list)


class DatasetError(ValueError):
    pass


# Search snippets end in "..."; ingest drops such truncated teasers as page boilerplate.
_SNIPPET_END = re.compile(r"\s*(?:\.\.\.|…)\s*$")


def _doc_id(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:12]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path.name}:{n}: not JSON ({exc.msg})") from None
    return rows


def _groups(answers: Any) -> list[list[str]]:
    if answers is None:
        return []
    if isinstance(answers, str):
        return [[answers]]
    return [[a] if isinstance(a, str) else [str(x) for x in a] for a in answers]


def load_ragchat(path: Path) -> EvalSet:
    rows = _jsonl(path)
    corpus = [path.parent / "corpus"] if (path.parent / "corpus").is_dir() else []
    meta = rows[0] if rows and "corpus" in rows[0] and "question" not in rows[0] else None
    if meta:
        rows = rows[1:]
        corpus = [(path.parent / p).resolve() for p in meta["corpus"]]
    missing = [n for n, r in enumerate(rows, start=1) if "question" not in r]
    if missing:
        raise DatasetError(f"{path.name}: rows without a question: {missing[:5]}")
    items = [
        EvalItem(
            id=str(r.get("id", n)),
            question=r["question"],
            answers=_groups(r.get("answers")),
            support=r.get("support"),
            gold_docs=tuple(r.get("documents", ())),
            unanswerable=bool(r.get("unanswerable", False)),
            messages=tuple(r.get("messages", ())),
            split=str(r.get("split", "")),
            kind=str(r.get("kind", "")),
            collection=str(r.get("collection", "")),
        )
        for n, r in enumerate(rows, start=1)
    ]
    return EvalSet(name=path.stem, format="ragchat", items=items, corpus_paths=corpus)


def parse_articles(spec: str | None) -> slice | None:
    """ "0:8" -> the first 8 articles, "8:" -> from the ninth on; None -> all."""
    if not spec:
        return None
    start, sep, stop = spec.partition(":")
    try:
        if not sep:
            raise ValueError
        return slice(int(start) if start else None, int(stop) if stop else None)
    except ValueError:
        raise DatasetError(f"--articles wants START:STOP (like 0:8 or 8:), got {spec!r}") from None


def load_squad(path: Path, data: dict[str, Any], articles: slice | None = None) -> EvalSet:
    name = path.stem
    if articles is not None:
        name += f"[{articles.start or 0}:{'' if articles.stop is None else articles.stop}]"
    out = EvalSet(name=name, format="squad")
    for art in data["data"][articles or slice(None)]:
        for i, para in enumerate(art["paragraphs"]):
            safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in art["title"])
            doc = EvalDoc(_doc_id(art["title"], str(i)), f"{safe}-{i}.txt", para["context"])
            out.documents.append(doc)
            for qa in para["qas"]:
                impossible = bool(qa.get("is_impossible", False))
                aliases = list(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                out.items.append(
                    EvalItem(
                        id=str(qa["id"]),
                        question=qa["question"],
                        answers=[] if impossible else [aliases],
                        gold_docs=(doc.id,),
                        unanswerable=impossible,
                    )
                )
    return out


def load_rgb(
    path: Path, rows: list[dict[str, Any]], *, noise_rate: float, passages: int
) -> EvalSet:
    """Per question: `passages` passages, `noise_rate` of them negative; all-noise => refuse.

    Negatives are ceil(passages * noise_rate), as in RGB's own evalue.py (0.5 of 5 gives 3).
    """
    out = EvalSet(name=f"{path.stem}@noise{noise_rate:g}", format="rgb")
    n_neg = min(passages, math.ceil(round(passages * noise_rate, 9)))
    for r in rows:
        pos = list(r.get("positive", []))[: passages - n_neg]
        neg = list(r.get("negative", []))[:n_neg]
        gold, own = [], []
        for k, snippet in enumerate(pos + neg):
            text = _SNIPPET_END.sub("", snippet)
            doc = EvalDoc(_doc_id("rgb", str(r["id"]), str(k)), f"rgb-{r['id']}-{k}.txt", text)
            out.documents.append(doc)
            own.append(doc.id)
            if k < len(pos):
                gold.append(doc.id)
        out.items.append(
            EvalItem(
                id=str(r["id"]),
                question=r["query"],
                answers=_groups(r["answer"]) if pos else [],
                gold_docs=tuple(gold),
                unanswerable=not pos,
                passages=tuple(own),
            )
        )
    return out


def load_realtimeqa(path: Path) -> EvalSet:
    gcs = path.with_name(path.name.replace("_qa.jsonl", "_gcs.jsonl"))
    if not gcs.exists():
        raise DatasetError(f"{path.name}: RealTime QA needs its articles file {gcs.name} beside it")
    out = EvalSet(name=path.stem, format="realtimeqa")
    seen: dict[str, str] = {}
    by_question: dict[str, list[str]] = {}
    for row in _jsonl(gcs):
        ids = []
        for k, res in enumerate(row.get("search_result", [])):
            text = f"{res.get('title', '')}\n\n{res.get('text', '')}".strip()
            key = res.get("url") or text[:200]
            if key not in seen:
                doc = EvalDoc(_doc_id("rtqa", key), f"{row['question_id']}-{k}.txt", text)
                seen[key] = doc.id
                out.documents.append(doc)
            ids.append(seen[key])
        by_question[row["question_id"]] = ids
    for q in _jsonl(path):
        gold = q["choices"][int(q["answer"][0])]
        out.items.append(
            EvalItem(
                id=q["question_id"],
                question=q["question_sentence"],
                answers=[[gold]],
                gold_docs=tuple(by_question.get(q["question_id"], ())),
            )
        )
    return out


def load(
    path: Path, *, noise_rate: float = 0.4, passages: int = 5, articles: str | None = None
) -> EvalSet:
    """articles: a START:STOP slice of a SQuAD file's articles (its tuning or held-out half)."""
    if not path.exists():
        raise DatasetError(f"no such dataset: {path}")
    part = parse_articles(articles)
    if path.name.endswith("_qa.jsonl") and part is None:
        return load_realtimeqa(path)
    head = path.read_text(encoding="utf-8")[:4096].lstrip()
    if head.startswith("{") and '"data"' in head[:200]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path.name}: not valid JSON ({exc.msg})") from None
        if isinstance(data, dict) and "data" in data:
            return load_squad(path, data, part)
    if part is not None:
        raise DatasetError(f"{path.name}: --articles applies to SQuAD-format files only")
    rows = _jsonl(path)
    if rows and "query" in rows[0] and "positive" in rows[0]:
        return load_rgb(path, rows, noise_rate=noise_rate, passages=passages)
    if rows and ("question" in rows[0] or "corpus" in rows[0]):
        return load_ragchat(path)
    raise DatasetError(
        f"{path.name}: unknown dataset format; expected ragchat JSONL, SQuAD JSON, RGB JSONL "
        "or RealTime QA *_qa.jsonl"
    )
