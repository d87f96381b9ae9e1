-- Core ledger: runs, export files, records, sightings and rejected input.
-- Counts are never stored beside the rows they count, except what a source *reported* (count_reported).

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,              -- search | import | dedupe | rules | screen | refresh | pipeline
    source          TEXT,                       -- the protocol source's name
    database        TEXT,                       -- MEDLINE, CINAHL, Scopus...
    platform        TEXT,                       -- PubMed (E-utilities), EBSCOhost...
    query           TEXT,                       -- exactly as sent
    query_translation TEXT,                     -- PubMed's QueryTranslation
    parameters      TEXT NOT NULL DEFAULT '{}', -- JSON; never secrets
    count_reported  INTEGER,                    -- what the source said it holds
    count_retrieved INTEGER,                    -- what this run parsed and stored or saw
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    tool_version    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
    message         TEXT,
    parent_run_id   INTEGER REFERENCES runs(id)
);

CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    sha256       TEXT NOT NULL UNIQUE,
    path         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    format       TEXT NOT NULL,
    database     TEXT NOT NULL,
    source       TEXT NOT NULL,
    encoding     TEXT,
    detection    TEXT,                          -- how format and database were decided
    export_date  TEXT,
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    records_read INTEGER NOT NULL,
    imported_at  TEXT NOT NULL
);

CREATE TABLE records (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,                   -- the protocol source's name
    database   TEXT NOT NULL,
    origin     TEXT NOT NULL CHECK (origin IN ('run', 'file')),
    run_id     INTEGER NOT NULL REFERENCES runs(id),   -- the run that first brought it in
    file_id    INTEGER REFERENCES files(id),
    position   INTEGER,                          -- 1-based place in the file or result set
    line       INTEGER,                          -- first line in the file
    source_id  TEXT,                             -- the database's own id (PMID, EID, UT, AN...)
    pmid       TEXT,
    doi        TEXT,
    title      TEXT,
    year       INTEGER,
    data       TEXT NOT NULL,                    -- the whole Record as JSON
    raw        TEXT NOT NULL,                    -- verbatim
    added_at   TEXT NOT NULL,
    UNIQUE (file_id, position)
);
CREATE UNIQUE INDEX records_live_source_id ON records(source, source_id) WHERE file_id IS NULL;
CREATE INDEX records_doi ON records(doi);
CREATE INDEX records_pmid ON records(pmid);
CREATE INDEX records_run ON records(run_id);

-- Every run that returned a live record (a refresh sees old records again; that is a sighting, not a record).
CREATE TABLE sightings (
    record_id INTEGER NOT NULL REFERENCES records(id),
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    PRIMARY KEY (record_id, run_id)
) WITHOUT ROWID;

-- Input that could not become a record, with the reason.
CREATE TABLE rejections (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    file_id  INTEGER REFERENCES files(id),
    source   TEXT,
    path     TEXT,
    position INTEGER,
    line     INTEGER,
    reason   TEXT NOT NULL,
    raw      TEXT
);
