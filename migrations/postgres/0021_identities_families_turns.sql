-- Unambiguous identities: usernames can no longer contain '@' (a login with '@' is an e-mail
-- address) and are stored lowercased. Existing usernames with '@' are cleared (their owners
-- log in with their e-mail address); mixed-case usernames are lowercased unless two of them
-- would collide, in which case those are cleared too.
UPDATE users SET username = NULL WHERE username LIKE '%@%';
UPDATE users SET username = NULL
 WHERE username IS NOT NULL AND username <> LOWER(username)
   AND LOWER(username) IN (SELECT LOWER(u.username) FROM users u WHERE u.username IS NOT NULL
                           GROUP BY LOWER(u.username) HAVING COUNT(*) > 1);
UPDATE users SET username = LOWER(username) WHERE username IS NOT NULL AND username <> LOWER(username);

-- Refresh-token families: a token reused after rotation revokes its whole family.
ALTER TABLE refresh_tokens ADD COLUMN family_id TEXT;
UPDATE refresh_tokens SET family_id = token_hash;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Transcripts as append-only rows, one per turn, numbered from 1 within the interview; the
-- interview row keeps the count and the byte total so an append checks its caps in O(1).
CREATE TABLE transcript_turns (
    interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    role         TEXT NOT NULL,
    text         TEXT NOT NULL,
    code         TEXT,
    language     TEXT,
    bytes        BIGINT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (interview_id, seq)
);
ALTER TABLE interviews ADD COLUMN turn_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE interviews ADD COLUMN transcript_bytes BIGINT NOT NULL DEFAULT 0;
INSERT INTO transcript_turns (interview_id, seq, role, text, code, language, bytes, at)
SELECT i.id, t.ord,
       COALESCE(t.value ->> 'role', 'candidate'),
       COALESCE(t.value ->> 'text', ''),
       t.value ->> 'code',
       t.value ->> 'language',
       octet_length(COALESCE(t.value ->> 'text', '')) + octet_length(COALESCE(t.value ->> 'code', '')),
       COALESCE(t.value ->> 'at', i.updated_at)
  FROM interviews i
 CROSS JOIN LATERAL jsonb_array_elements(i.transcript::jsonb) WITH ORDINALITY AS t(value, ord);
UPDATE interviews SET
    turn_count = (SELECT COUNT(*) FROM transcript_turns t WHERE t.interview_id = interviews.id),
    transcript_bytes = (SELECT COALESCE(SUM(t.bytes), 0) FROM transcript_turns t WHERE t.interview_id = interviews.id),
    transcript = '[]';
