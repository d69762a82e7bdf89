-- Accounts. Ids are UUID text, timestamps RFC 3339 text, flags 0/1 integers, so that the
-- SQLite and PostgreSQL schemas decode identically through sqlx's Any driver.
CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL,
    email           TEXT NOT NULL UNIQUE,
    username        TEXT UNIQUE,
    full_name       TEXT,
    hashed_password TEXT NOT NULL,
    is_active       BIGINT NOT NULL DEFAULT 1,
    is_superuser    BIGINT NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
