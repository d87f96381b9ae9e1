-- Cursor-paged live searches (Europe PMC, ClinicalTrials.gov, OpenAlex; harvester/search.py): every page a
-- run stored, with the cursor that asked for it and the one that follows, committed in the same transaction
-- as its records, so that a search killed at any moment resumes after the last page it stored.
CREATE TABLE search_pages (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    page        INTEGER NOT NULL,               -- 1-based, in the order asked
    cursor      TEXT NOT NULL,                  -- the cursor sent for this page
    next_cursor TEXT,                           -- the cursor the page gave for the next one (NULL: last page)
    records     INTEGER NOT NULL,               -- records on the page
    total       INTEGER,                        -- the total the service reported with it
    PRIMARY KEY (run_id, page)
) WITHOUT ROWID;

-- Citation searching (harvester/citations.py): a work found in the references (backward) or among the citing
-- works (forward) of a record, by which run and through which service.
CREATE TABLE citation_links (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    from_record INTEGER NOT NULL REFERENCES records(id),
    to_record   INTEGER NOT NULL REFERENCES records(id),
    direction   TEXT NOT NULL CHECK (direction IN ('backward', 'forward')),
    service     TEXT NOT NULL,
    PRIMARY KEY (run_id, from_record, to_record, direction)
) WITHOUT ROWID;
CREATE INDEX citation_links_to ON citation_links(to_record);
