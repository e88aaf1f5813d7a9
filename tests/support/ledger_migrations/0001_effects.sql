-- A test consumer's effects: one row per applied message, with no uniqueness on purpose, so that a
-- duplicate the inbox failed to absorb would show as a second row.
CREATE TABLE effects (
    message_id uuid        NOT NULL,
    sms_id     uuid        NOT NULL,
    state      text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
