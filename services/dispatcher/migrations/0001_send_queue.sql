-- The send queue: one row per SMS to send, unique on the SMS id whatever message carried it. The
-- dispatcher sends from here, per school account, so that a slow operator never holds a partition.
CREATE TABLE send_queue (
    sms_id              uuid PRIMARY KEY,
    uai                 text        NOT NULL,
    absence_id          uuid        NOT NULL,
    action_code         text        NOT NULL,
    recipient_role      text        NOT NULL,
    recipient_phone     text        NOT NULL,
    text                text        NOT NULL,
    segments            integer     NOT NULL,
    correlation_id      uuid,
    -- queued → sending → in_transit | unconfirmed | invalid | failed
    state               text        NOT NULL DEFAULT 'queued',
    attempts            integer     NOT NULL DEFAULT 0,
    queued_at           timestamptz NOT NULL DEFAULT now(),
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    sending_since       timestamptz,
    provider_code       text,
    provider_message_id text,
    operator_code       text,
    reason_code         text,
    last_error          text,
    finished_at         timestamptz
);

CREATE INDEX send_queue_due_idx ON send_queue (next_attempt_at) WHERE state = 'queued';
CREATE INDEX send_queue_sending_idx ON send_queue (sending_since) WHERE state = 'sending';

-- Row-level security, the second tenant wall (shared/db/migrations/0002_tenant_scope.sql): the
-- consumer writes under its batch's schools, each school's results are recorded under that
-- school, and only the sender's claim of due and stale SMS declares all schools.
ALTER TABLE send_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE send_queue FORCE ROW LEVEL SECURITY;

CREATE POLICY school_scope ON send_queue FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
