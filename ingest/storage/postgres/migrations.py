"""The PostgreSQL schema as an ordered list of migrations, applied by `ragchat db upgrade`.

Applied migrations are rows of `ragchat_migrations`. An upgrade holds an advisory lock, so
replicas started together never apply one twice; a server refuses to start on a schema
older (or newer) than its code, and says which command fixes it.
"""

from __future__ import annotations

from typing import Any

from ingest.storage.errors import SchemaError

# psycopg is imported by the functions: the embedded default never needs it installed.

_DOCUMENTS = """
CREATE TABLE documents (
    collection       text NOT NULL,
    document_id      text NOT NULL,
    source           text NOT NULL,
    path             text,
    title            text NOT NULL DEFAULT '',
    content_hash     text,
    version          text,
    text             text NOT NULL DEFAULT '',
    sentences        text NOT NULL DEFAULT '[]',
    chunk_count      integer NOT NULL DEFAULT 0,
    size_bytes       bigint NOT NULL DEFAULT 0,
    needs_gc         boolean NOT NULL DEFAULT false,
    updated_at       double precision NOT NULL,
    tags             jsonb NOT NULL DEFAULT '[]',
    doc_date         double precision,
    regions          text NOT NULL DEFAULT '[]',
    sentence_vectors bytea,
    lease_owner      text,
    lease_expires    double precision,
    PRIMARY KEY (collection, document_id)
);
CREATE INDEX documents_gc ON documents (collection) WHERE needs_gc;

CREATE TABLE chunks (
    id          bigserial PRIMARY KEY,
    collection  text NOT NULL,
    document_id text NOT NULL,
    chunk_id    text NOT NULL,
    chunk_index integer NOT NULL,
    start       integer NOT NULL,
    "end"       integer NOT NULL,
    text        text NOT NULL,
    metadata    text NOT NULL DEFAULT '{}',
    title       text NOT NULL DEFAULT '',
    tsv         tsvector NOT NULL,
    n_terms     integer NOT NULL,
    UNIQUE (collection, chunk_id)  -- one file may be ingested into several collections
);
CREATE INDEX chunks_by_document ON chunks (collection, document_id, chunk_index);
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);

-- The chunk's text is weight A and its document's title weight B; n_terms is its length
-- in terms, as bm25 needs it.
CREATE FUNCTION ragchat_chunk_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tsv := setweight(to_tsvector('english', NEW.text), 'A')
        || setweight(to_tsvector('english', NEW.title), 'B');
    NEW.n_terms := (SELECT coalesce(sum(cardinality(u.positions)), 0) FROM unnest(NEW.tsv) u);
    RETURN NEW;
END $$;
CREATE TRIGGER chunks_terms BEFORE INSERT OR UPDATE OF text, title ON chunks
    FOR EACH ROW EXECUTE FUNCTION ragchat_chunk_terms();

-- Document frequency of each term, and each collection's chunk count and total length:
-- bm25's statistics, kept in the same transactions that change the chunks.
CREATE TABLE keyword_terms (
    collection text NOT NULL,
    lexeme     text NOT NULL,
    df         bigint NOT NULL,
    PRIMARY KEY (collection, lexeme)
);
CREATE TABLE keyword_totals (
    collection text PRIMARY KEY,
    chunks     bigint NOT NULL,
    terms      bigint NOT NULL
);
"""

_CONVERSATIONS = """
CREATE TABLE turns (
    conversation_id text NOT NULL,
    seq             integer NOT NULL,
    role            text NOT NULL,
    content         text NOT NULL,
    created_at      double precision NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX turns_created ON turns (created_at);
"""

_BLOBS_AND_JOBS = """
CREATE TABLE blobs (
    collection text NOT NULL,
    key        text NOT NULL,
    data       bytea NOT NULL,
    created_at double precision NOT NULL,
    PRIMARY KEY (collection, key)
);
CREATE TABLE jobs (
    id           text PRIMARY KEY,
    kind         text NOT NULL,
    collection   text NOT NULL,
    state        text NOT NULL,
    total        integer NOT NULL,
    results      text NOT NULL DEFAULT '[]',
    error        text,
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 3,
    owner        text,
    visible_at   double precision NOT NULL,
    created_at   double precision NOT NULL,
    updated_at   double precision NOT NULL
);
CREATE INDEX jobs_ready ON jobs (visible_at) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_recent ON jobs (created_at);
CREATE TABLE job_files (
    job_id   text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq      integer NOT NULL,
    filename text NOT NULL,
    options  text NOT NULL DEFAULT '{}',
    data     bytea NOT NULL,
    PRIMARY KEY (job_id, seq)
);
"""

# A generation per collection, bumped with each version flip: a search learns that the
# collection's documents changed from one row instead of a scan of them all.
_STAMPS = """
CREATE TABLE collection_stamps (
    collection text PRIMARY KEY,
    generation bigint NOT NULL
);
INSERT INTO collection_stamps (collection, generation)
    SELECT DISTINCT collection, 1 FROM documents;
"""

# Conversations get a row (owner, collection, title) and answers their whole response.
_CONVERSATION_ROWS = """
CREATE TABLE conversations (
    conversation_id text PRIMARY KEY,
    owner           text NOT NULL DEFAULT '',
    collection      text NOT NULL DEFAULT '',
    title           text NOT NULL DEFAULT '',
    created_at      double precision NOT NULL,
    updated_at      double precision NOT NULL
);
CREATE INDEX conversations_recent ON conversations (owner, updated_at);
CREATE INDEX conversations_idle ON conversations (updated_at);
ALTER TABLE turns ADD COLUMN response text;
ALTER TABLE turns ADD COLUMN collection text NOT NULL DEFAULT '';
INSERT INTO conversations (conversation_id, title, created_at, updated_at)
    SELECT t.conversation_id, coalesce((SELECT substr(f.content, 1, 80) FROM turns f
        WHERE f.conversation_id = t.conversation_id AND f.role = 'user' ORDER BY f.seq LIMIT 1),
        ''), min(t.created_at), max(t.created_at)
    FROM turns t GROUP BY t.conversation_id;
"""

# Ratings of answers, each with a copy of the question, answer and citations rated.
_FEEDBACK = """
CREATE TABLE feedback (
    conversation_id text NOT NULL,
    turn            integer NOT NULL,
    owner           text NOT NULL DEFAULT '',
    collection      text NOT NULL DEFAULT '',
    rating          text NOT NULL,
    comment         text NOT NULL DEFAULT '',
    expected_answer text,
    unanswerable    boolean NOT NULL DEFAULT false,
    wrong_citations text NOT NULL DEFAULT '[]',
    question        text NOT NULL,
    answer          text NOT NULL,
    citations       text NOT NULL DEFAULT '[]',
    settings        text NOT NULL DEFAULT '{}',
    model           text NOT NULL DEFAULT '',
    created_at      double precision NOT NULL,
    conversation_started double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, conversation_started, turn)
);
CREATE INDEX feedback_created ON feedback (created_at);
"""

# Append only: a migration that shipped is never edited, a change is a new entry.
MIGRATIONS: list[tuple[str, str]] = [
    ("documents, chunks and the keyword index", _DOCUMENTS),
    ("conversation turns", _CONVERSATIONS),
    ("uploaded originals and ingestion jobs", _BLOBS_AND_JOBS),
    ("a stamp per collection that each version flip moves on", _STAMPS),
    ("conversations with an owner and a title; answers keep their response", _CONVERSATION_ROWS),
    ("ratings of answers", _FEEDBACK),
]
_LOCK = 0x72616763  # pg_advisory_xact_lock key: "ragc"


def _ensure_table(conn: Any) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS ragchat_migrations (version integer PRIMARY KEY, "
        "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )


def current(conn: Any) -> int:
    exists = conn.execute("SELECT to_regclass('ragchat_migrations')").fetchone()[0]
    if exists is None:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM ragchat_migrations").fetchone()
    return int(row[0])


def upgrade(url: str) -> list[str]:
    """Apply the pending migrations in one transaction; returns their names."""
    import psycopg

    from ingest.storage.postgres import libpq_url

    with psycopg.connect(libpq_url(url), connect_timeout=15) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        _ensure_table(conn)
        done = current(conn)
        applied: list[str] = []
        for number, (name, sql) in enumerate(MIGRATIONS, start=1):
            if number <= done:
                continue
            conn.execute(sql)
            conn.execute(
                "INSERT INTO ragchat_migrations (version, name) VALUES (%s, %s)", (number, name)
            )
            applied.append(name)
        return applied


def status(conn: Any) -> tuple[int, int]:
    """(applied, known) migration counts."""
    return current(conn), len(MIGRATIONS)


def check(conn: Any) -> None:
    applied, known = status(conn)
    if applied < known:
        raise SchemaError(
            f"the database schema is at migration {applied} of {known}: run `ragchat db "
            "upgrade` (with the same RAGCHAT_DATABASE_URL) before starting ragchat"
        )
    if applied > known:
        raise SchemaError(
            f"the database schema is at migration {applied}, newer than this ragchat "
            f"knows ({known}): upgrade ragchat on this machine"
        )
