-- Interviews owned by a user: what the agent needs (role, job description, resume, persona),
-- the LiveKit room, and progress (status, phase, transcript and report as JSON text).
CREATE TABLE interviews (
    id               TEXT PRIMARY KEY NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    role_id          TEXT REFERENCES roles (id) ON DELETE SET NULL,
    resume_id        TEXT, -- resumes come in migration 0020; ownership is checked in code
    position         TEXT,
    job_description  TEXT,
    candidate_name   TEXT,
    candidate_email  TEXT,
    language         TEXT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    persona          TEXT,
    scheduled_at     TEXT,
    interview_config TEXT NOT NULL,
    status           TEXT NOT NULL,
    room_name        TEXT NOT NULL UNIQUE,
    phase            TEXT NOT NULL,
    transcript       TEXT NOT NULL,
    technical_score  BIGINT,
    behavioral_score BIGINT,
    overall_feedback TEXT,
    report           TEXT,
    dispatch_count   BIGINT NOT NULL DEFAULT 0,
    started_at       TEXT,
    completed_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX interviews_user_created ON interviews (user_id, created_at);
