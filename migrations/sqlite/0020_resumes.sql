-- Uploaded resumes: the PDF bytes and the parsed structure (seed 001's ParsedResume as JSON
-- text), owned by one user. Deleting the user deletes their resumes.
CREATE TABLE resumes (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL,
    parsed       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX resumes_user_created ON resumes (user_id, created_at);
