-- De-duplication's prepared keys, kept so that an incremental run reads only the records its new
-- records can meet. A cache, not a decision: made again from the records whenever the code that
-- prepares them changes (``version``); nothing here is evidence, so rows may be replaced.

-- Each record's comparable keys (compact JSON), and the version of the code that made them.
CREATE TABLE dedup_keys (
    record_id  INTEGER PRIMARY KEY REFERENCES records(id),
    version    TEXT NOT NULL,
    keys       TEXT NOT NULL
);

-- Each record's blocking keys ("name|value"), with its year (a block over the limit is split by year):
-- the index that finds the held records sharing a block with a new one.
CREATE TABLE dedup_blocks (
    block      TEXT NOT NULL,
    record_id  INTEGER NOT NULL REFERENCES records(id),
    year       INTEGER,
    PRIMARY KEY (block, record_id)
) WITHOUT ROWID;
