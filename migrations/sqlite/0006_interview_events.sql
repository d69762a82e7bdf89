-- What the agent reports besides transcript turns: metrics, nudges and phase changes, as a
-- JSON array of {type, at, ...} objects in arrival order.
ALTER TABLE interviews ADD COLUMN events TEXT NOT NULL DEFAULT '[]';
