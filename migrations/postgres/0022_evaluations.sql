-- Evaluation: the rubric frozen into an interview when it starts (JSON text), one evaluation
-- per completed interview (pending -> ready | failed, with the scorer's kind and versions and
-- the report as JSON text), and reviewers' overrides as an append-only audit trail.
ALTER TABLE interviews ADD COLUMN rubric TEXT;
CREATE TABLE evaluations (
    interview_id   TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    reason         TEXT,
    scorer         TEXT NOT NULL,
    model          TEXT,
    prompt_version TEXT NOT NULL,
    rubric_version TEXT NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    report         TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE TABLE evaluation_overrides (
    interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    dimension    TEXT NOT NULL,
    from_score   BIGINT NOT NULL,
    to_score     BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    reviewer_id  TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (interview_id, seq)
);
