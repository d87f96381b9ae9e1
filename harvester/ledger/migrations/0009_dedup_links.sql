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
