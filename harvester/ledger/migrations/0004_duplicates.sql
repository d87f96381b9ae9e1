-- De-duplication: every decision that a record duplicates another is a row, never a deletion.
-- The current clusters are the rows of the latest dedupe run that are not superseded by a person.
CREATE TABLE duplicates (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    record_id     INTEGER NOT NULL REFERENCES records(id),   -- the duplicate (removed from screening)
    duplicate_of  INTEGER NOT NULL REFERENCES records(id),   -- the record kept for its cluster
    rule          TEXT NOT NULL,                             -- the rule that matched, or 'reviewer'
    scores        TEXT NOT NULL DEFAULT '{}',                -- field scores as JSON
    decided_at    TEXT NOT NULL,
    UNIQUE (run_id, record_id)
);
CREATE INDEX duplicates_kept ON duplicates(duplicate_of);
