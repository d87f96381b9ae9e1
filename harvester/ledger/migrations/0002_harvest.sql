-- Live searches (harvester/search.py): how each run split its query into slices (the 9,999 cap), and
-- which PMIDs a source listed but did not return, each with the reason.

CREATE TABLE search_slices (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id),
    mindate        TEXT,                        -- YYYY/MM/DD, or NULL for the search as written
    maxdate        TEXT,
    datetype       TEXT,
    uid_range      TEXT,                        -- 'lo:hi' when one day still held more than ESearch lists
    count_reported INTEGER NOT NULL,            -- ESearch Count for this slice
    ids_listed     INTEGER NOT NULL             -- PMIDs ESearch listed for it
);
CREATE INDEX search_slices_run ON search_slices(run_id);

-- A PMID the search listed that EFetch did not return (deleted, or withheld), with the reason.
CREATE TABLE search_missing (
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    source_id TEXT NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (run_id, source_id)
) WITHOUT ROWID;
