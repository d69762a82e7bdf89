-- Job roles owned by a user: the descriptive fields as columns (list filters use them) and the
-- structured parts (required skills, interview structure, rubric) as JSON text.
CREATE TABLE roles (
    id                  TEXT PRIMARY KEY NOT NULL,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    description         TEXT,
    category            TEXT NOT NULL,
    specialization      TEXT,
    experience_level    TEXT NOT NULL,
    required_skills     TEXT NOT NULL,
    interview_structure TEXT NOT NULL,
    rubric              TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX roles_user_created ON roles (user_id, created_at);
