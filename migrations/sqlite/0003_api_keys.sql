-- API keys for integrators: the public `pk_` key and only the SHA-256 hash of the `sk_` secret
-- (a 244-bit random string, so a fast hash suffices). Deactivated keys stay listed.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    public_key   TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL UNIQUE,
    is_active    INTEGER NOT NULL DEFAULT 1,
    usage_count  BIGINT NOT NULL DEFAULT 0,
    last_used_at TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);
