-- Screening: rule results and reviewers' decisions, as history (never updated, never deleted).
-- The current rule results are those of the latest successful 'rules' run; a reviewer's current decision
-- on a record at a stage is their latest row. A changed decision is a new row; the old one stays visible.

CREATE TABLE rule_results (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),      -- the 'rules' run
    record_id   INTEGER NOT NULL REFERENCES records(id),
    rule_id     TEXT NOT NULL,                             -- the protocol rule's id
    kind        TEXT NOT NULL,                             -- language | year | publication-type | field | query
    stage       TEXT NOT NULL CHECK (stage IN ('automation', 'title-abstract')),
    action      TEXT NOT NULL CHECK (action IN ('exclude', 'flag')),
    fired       INTEGER NOT NULL CHECK (fired IN (0, 1)),  -- 1: the record fails the rule's criterion
    reason      TEXT NOT NULL,                             -- the rule's reason label
    evidence    TEXT NOT NULL DEFAULT '',                  -- what matched, for a person to check
    decided_at  TEXT NOT NULL,
    UNIQUE (run_id, record_id, rule_id)
);
CREATE INDEX rule_results_record ON rule_results(record_id);

CREATE TABLE decisions (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),      -- the 'screen' import run
    record_id   INTEGER NOT NULL REFERENCES records(id),
    stage       TEXT NOT NULL CHECK (stage IN ('title-abstract', 'retrieval', 'full-text')),
    reviewer    TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('screener', 'resolver')),
    decision    TEXT NOT NULL CHECK (decision IN ('include', 'exclude', 'maybe', 'retrieved', 'not-retrieved')),
    reason      TEXT,                                      -- mandatory for a full-text exclusion
    note        TEXT,
    decided_at  TEXT NOT NULL,                             -- when the reviewer decided (the file's, else import time)
    imported_at TEXT NOT NULL,
    file        TEXT,                                      -- the decisions file it came from
    file_sha256 TEXT,
    line        INTEGER,                                   -- its line in that file
    format      TEXT NOT NULL                              -- ours | rayyan | asreview
);
CREATE INDEX decisions_record ON decisions(record_id, stage);
