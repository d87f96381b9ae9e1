-- De-duplication evidence and people's decisions (builds on 0004_duplicates.sql).

-- The record a duplicate was matched with (the kept record, or the cluster member it was matched to).
ALTER TABLE duplicates ADD COLUMN matched_with INTEGER REFERENCES records(id);

-- Every pair a dedupe run found alike: 'match' (merged, or refused because it would bridge a
-- "different") and 'uncertain' (sent to people). Kept per run: the evidence, and the input of the
-- next incremental run.
CREATE TABLE dedup_pairs (
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    record_a  INTEGER NOT NULL REFERENCES records(id),
    record_b  INTEGER NOT NULL REFERENCES records(id),
    verdict   TEXT NOT NULL CHECK (verdict IN ('match', 'uncertain')),
    rule      TEXT NOT NULL,
    scores    TEXT NOT NULL DEFAULT '{}',
    open      INTEGER NOT NULL DEFAULT 0,       -- 1: an uncertain pair still waiting for a person
    PRIMARY KEY (run_id, record_a, record_b),
    CHECK (record_a < record_b)
) WITHOUT ROWID;

-- People's decisions that two records are the same or different. Never updated: a later row for the
-- same pair supersedes an earlier one; every dedupe run respects the latest.
CREATE TABLE dedup_decisions (
    id          INTEGER PRIMARY KEY,
    record_a    INTEGER NOT NULL REFERENCES records(id),
    record_b    INTEGER NOT NULL REFERENCES records(id),
    decision    TEXT NOT NULL CHECK (decision IN ('same', 'different')),
    reviewer    TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    how         TEXT NOT NULL,                   -- 'file' (decisions imported) or 'split'
    file        TEXT,                            -- the decisions file, when imported
    line        INTEGER,                         -- its line
    note        TEXT,
    CHECK (record_a < record_b)
);
CREATE INDEX dedup_decisions_pair ON dedup_decisions(record_a, record_b);
