-- Candidate invite links: one row per link, bound to one interview. Only the SHA-256 of the
-- link's token is stored (the token is shown once, when the link is made). The consent the
-- candidate gave on the page is kept with its time and the version of the text they read.
CREATE TABLE interview_invites (
    id              TEXT PRIMARY KEY,
    interview_id    TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,
    expires_at      BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    opened_at       TEXT,
    consent_at      TEXT,
    consent_version TEXT,
    joined_at       TEXT,
    join_count      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX interview_invites_interview ON interview_invites (interview_id);
