-- Withdrawals of a mistaken import, and their undoing, as history (never updated, never deleted): the records
-- stay, and the latest row for a file or run says how they count now. A file imported by mistake is withdrawn
-- "as never identified" (exclude-from-counts); records that were identified but must not go on (a retracted
-- batch, a wrong date range) are "removed for other reasons" (remove).
CREATE TABLE withdrawals (
    id         INTEGER PRIMARY KEY,
    file_id    INTEGER REFERENCES files(id),          -- the withdrawn file, or
    run_id     INTEGER REFERENCES runs(id),           -- the withdrawn run (its records and its child runs')
    action     TEXT NOT NULL CHECK (action IN ('remove', 'exclude-from-counts', 'undo')),
    reason     TEXT NOT NULL,
    who        TEXT NOT NULL,
    at         TEXT NOT NULL,
    records    INTEGER NOT NULL,                      -- the records it concerns
    CHECK ((file_id IS NULL) != (run_id IS NULL))
);

-- Reports linked to one study (a paper and its conference abstract, a protocol and its results), as history:
-- a record's study is its latest row's; an empty study unlinks it (the record is its own study again).
CREATE TABLE study_links (
    id         INTEGER PRIMARY KEY,
    record_id  INTEGER NOT NULL REFERENCES records(id),
    study      TEXT NOT NULL,
    who        TEXT NOT NULL,
    why        TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL,
    origin     TEXT NOT NULL                          -- 'command', or the sheet it came from
);
CREATE INDEX study_links_record ON study_links(record_id);
