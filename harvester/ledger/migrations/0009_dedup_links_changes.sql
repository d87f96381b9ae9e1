-- Notices linked to the work they concern: an erratum, retraction, comment or reply is never merged with
-- its article (it is another item), but a reader of either must find the other. One row per link per
-- dedupe run, with the evidence (builds on 0005_dedup_reviews.sql); nothing is deleted.
CREATE TABLE dedup_links (
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    notice_id  INTEGER NOT NULL REFERENCES records(id),   -- the erratum, retraction, comment or reply
    work_id    INTEGER NOT NULL REFERENCES records(id),   -- the work it concerns
    rule       TEXT NOT NULL,                             -- erratum-of | retraction-of | comment-on
    reason     TEXT NOT NULL,                             -- why: what of the notice names the work
    scores     TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, notice_id, work_id)
) WITHOUT ROWID;
CREATE INDEX dedup_links_work ON dedup_links(work_id);

-- What a dedupe run changed in the clusters of the records the previous run already held: a merge undone
-- (the record is no longer with the record it was a duplicate of) or made (it now is), with the evidence:
-- the rule and scores of the merge (for an undone merge: the previous run's, and the pair's verdict now).
-- Written by every run after the first; most runs write none unless the rules version or people's
-- decisions changed.
CREATE TABLE dedup_changes (
    run_id         INTEGER NOT NULL REFERENCES runs(id),
    record_id      INTEGER NOT NULL REFERENCES records(id),   -- the record that left or joined a cluster
    other_id       INTEGER NOT NULL REFERENCES records(id),   -- the kept record it was or is merged with
    change         TEXT NOT NULL CHECK (change IN ('undone', 'made')),
    rule           TEXT NOT NULL,                             -- the merge's rule (undone: the previous one)
    now            TEXT NOT NULL DEFAULT '',                  -- undone: the pair's verdict and rule now
    scores         TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, record_id, change)
) WITHOUT ROWID;
