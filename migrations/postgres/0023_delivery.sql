-- Delivery (how the candidate sounded): the agent's one-second timeline points, one row per
-- agent session and second (retried batches insert nothing twice), and one row per agent
-- session numbered in arrival order, holding its end-of-session summary (JSON text).
CREATE TABLE delivery_sessions (
    interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    session      TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    summary      TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (interview_id, session)
);
CREATE TABLE delivery_points (
    interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    session      TEXT NOT NULL,
    second       BIGINT NOT NULL,
    point        TEXT NOT NULL,
    PRIMARY KEY (interview_id, session, second)
);
