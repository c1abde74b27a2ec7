"""Keyword search in PostgreSQL: full-text matching, ranked by bm25 computed in SQL.

`ts_rank` counts how often a chunk holds the query's words but not how rare they are, so a
question's common words would outrank its one telling name. bm25 needs each term's
document frequency and the collection's average chunk length; `keyword_terms` and
`keyword_totals` keep them, changed in the same transaction as the chunks (the deltas are
written in lexeme order, so concurrent writers always lock rows in one order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.storage.documents import CHUNK_COLUMNS, INSERT_CHUNK, chunk_of, chunk_rows
from ingest.storage.keywords import query_terms
from ingest.storage.records import StoredChunk


@dataclass(frozen=True)
class Bm25:
    """bm25's parameters; `robertson` is FTS5's idf, log((N - n + 0.5) / (n + 0.5)) floored
    near 0, else Lucene's log(1 + (N - n + 0.5) / (n + 0.5)); the title counts half, as
    FTS5's column weights make it on SQLite.

    Tuned on the XQuAD tuning half only (benchmarks/tune_pg_keywords.py), hybrid recall@1
    over k1 in {0.9, 1.2, 1.6} and b in {0.5, 0.75, 0.9}: 0.967 at k1=0.9, b=0.5, falling
    steadily to 0.957 at k1=1.6, b=0.9 (FTS5's k1=1.2, b=0.75 gave 0.962). The idf form and
    the title weight moved nothing there.
    """

    k1: float = 0.9
    b: float = 0.5
    title_weight: float = 0.5
    robertson: bool = True


DEFAULT = Bm25()


_SEARCH = f"""
WITH q AS (
    SELECT DISTINCT u.lexeme FROM unnest(to_tsvector('english', %(terms)s)) u
),
tq AS (
    SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) AS query FROM q
),
tot AS (
    SELECT chunks::float8 AS n, greatest(terms::float8 / greatest(chunks, 1), 1) AS avglen
    FROM keyword_totals WHERE collection = %(collection)s
),
idf AS (
    SELECT k.lexeme, CASE WHEN %(robertson)s
        THEN greatest(ln(greatest(((SELECT n FROM tot) - k.df + 0.5) / (k.df + 0.5), 1e-9)), 1e-6)
        ELSE ln(1 + greatest(((SELECT n FROM tot) - k.df + 0.5) / (k.df + 0.5), 0)) END AS w
    FROM keyword_terms k JOIN q ON q.lexeme = k.lexeme
    WHERE k.collection = %(collection)s AND k.df > 0
),
cand AS (
    SELECT c.* FROM chunks c, tq
    WHERE c.collection = %(collection)s AND c.tsv @@ tq.query {{documents}}
),
scored AS (
    SELECT cand.id, sum(
        idf.w * t.tf * (%(k1)s + 1)
        / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * cand.n_terms / (SELECT avglen FROM tot)))
    ) AS score
    FROM cand
    CROSS JOIN LATERAL (
        SELECT u.lexeme,
               (SELECT count(*) FILTER (WHERE x = 'A') + %(title)s * count(*) FILTER (
                    WHERE x = 'B') FROM unnest(u.weights) x)::float8 AS tf
        FROM unnest(cand.tsv) u
    ) t
    JOIN idf ON idf.lexeme = t.lexeme
    GROUP BY cand.id
)
SELECT {CHUNK_COLUMNS}, s.score FROM scored s JOIN chunks c ON c.id = s.id
ORDER BY s.score DESC, c.id LIMIT %(limit)s
"""


def keyword_search(
    conn: Any,
    collection: str,
    query: str,
    *,
    limit: int,
    document_ids: list[str] | None,
    params: Bm25 = DEFAULT,
) -> list[tuple[StoredChunk, float]]:
    """Best bm25 matches, best first, with a positive score (higher is better)."""
    terms = query_terms(query)
    if not terms or (document_ids is not None and not document_ids):
        return []
    documents = "AND c.document_id = ANY(%(documents)s)" if document_ids is not None else ""
    rows = conn.execute(
        _SEARCH.replace("{documents}", documents),
        {
            "terms": " ".join(terms),
            "collection": collection,
            "limit": limit,
            "documents": document_ids,
            "k1": params.k1,
            "b": params.b,
            "title": params.title_weight,
            "robertson": params.robertson,
        },
    ).fetchall()
    return [(chunk_of(r), float(r[7])) for r in rows]


def _term_counts(conn: Any, ids: list[int]) -> tuple[dict[str, int], int, int]:
    """Per-lexeme chunk counts, the chunk count and the total length of the given chunks."""
    if not ids:
        return {}, 0, 0
    counts = dict(
        conn.execute(
            "SELECT u.lexeme, count(*) FROM chunks c, unnest(c.tsv) u "
            "WHERE c.id = ANY(%s) GROUP BY u.lexeme",
            (ids,),
        ).fetchall()
    )
    (terms,) = conn.execute(
        "SELECT coalesce(sum(n_terms), 0) FROM chunks WHERE id = ANY(%s)", (ids,)
    ).fetchone()
    return counts, len(ids), int(terms)


def _delete(conn: Any, collection: str, document_id: str) -> tuple[dict[str, int], int, int]:
    """Delete a document's chunks; the counts `_term_counts` gives, of the rows deleted."""
    rows = conn.execute(
        "WITH gone AS (DELETE FROM chunks WHERE collection = %s AND document_id = %s "
        "RETURNING tsv, n_terms), terms AS (SELECT u.lexeme, count(*) AS n FROM gone, "
        "unnest(gone.tsv) u GROUP BY u.lexeme) SELECT NULL, (SELECT count(*) FROM gone), "
        "(SELECT coalesce(sum(n_terms), 0) FROM gone) UNION ALL SELECT lexeme, n, 0 FROM terms",
        (collection, document_id),
    ).fetchall()
    counts = {lexeme: int(n) for lexeme, n, _ in rows if lexeme is not None}
    [(_, chunks, terms)] = [r for r in rows if r[0] is None]
    return counts, int(chunks), int(terms)


def replace_chunks(conn: Any, collection: str, document_id: str, chunks: list[StoredChunk]) -> None:
    """Swap a document's chunks for `chunks` and move bm25's statistics with them."""
    gone, gone_chunks, gone_terms = _delete(conn, collection, document_id)
    new: list[int] = []
    if chunks:
        with conn.cursor() as cur:
            cur.executemany(
                INSERT_CHUNK + " RETURNING id", chunk_rows(collection, chunks), returning=True
            )
            while True:
                row = cur.fetchone()
                if row is not None:
                    new.append(row[0])
                if not cur.nextset():
                    break
    added, added_chunks, added_terms = _term_counts(conn, new)
    delta = {k: added.get(k, 0) - gone.get(k, 0) for k in set(added) | set(gone)}
    changed = sorted((k, d) for k, d in delta.items() if d)
    if changed:
        conn.execute(
            "INSERT INTO keyword_terms (collection, lexeme, df) "
            "SELECT %s, t.lexeme, t.df FROM unnest(%s::text[], %s::bigint[]) AS t(lexeme, df) "
            "ORDER BY t.lexeme "
            "ON CONFLICT (collection, lexeme) DO UPDATE SET df = keyword_terms.df + EXCLUDED.df",
            (collection, [k for k, _ in changed], [d for _, d in changed]),
        )
    if added_chunks or gone_chunks:
        conn.execute(
            "INSERT INTO keyword_totals (collection, chunks, terms) VALUES (%s, %s, %s) "
            "ON CONFLICT (collection) DO UPDATE SET chunks = keyword_totals.chunks + "
            "EXCLUDED.chunks, terms = keyword_totals.terms + EXCLUDED.terms",
            (collection, added_chunks - gone_chunks, added_terms - gone_terms),
        )
