-- One row per SMS the status-poller follows, from its submission (or rejection) by the dispatcher
-- to its final state. No phone number, no name, no text: only what sms.status.v1 publishes and
-- what the polling needs.
CREATE TABLE tracked_sms (
    sms_id              uuid        PRIMARY KEY,
    uai                 text        NOT NULL,
    absence_id          uuid        NOT NULL,
    action_code         text        NOT NULL,
    recipient_role      text        NOT NULL,
    provider_code       text,
    provider_message_id text,
    state               text        NOT NULL,
    -- true for the final states we decided ourselves (expiry, "sans accusé"): an operator's later
    -- final answer may still replace them
    own_verdict         boolean     NOT NULL DEFAULT false,
    operator_code       text,
    reason_code         text,
    correlation_id      uuid,
    submitted_at        timestamptz,
    changed_at          timestamptz NOT NULL,
    -- end of the validity window: without a final answer by then, undelivered / expired
    expires_at          timestamptz,
    -- when the poller must look at the row again; NULL once nothing is left to learn. While a
    -- poller works on a row it holds it by pushing this forward (a lease), so that a crashed
    -- replica's rows come back by themselves.
    next_poll_at        timestamptz,
    polls               integer     NOT NULL DEFAULT 0,
    poll_failures       integer     NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tracked_sms_state_check CHECK (state IN (
        'queued', 'in_transit', 'unconfirmed', 'carrier_accepted', 'delivered', 'undelivered',
        'invalid', 'failed', 'sent_unconfirmed'))
);

-- The poller's question, every tick: which rows are due? Only rows still followed are indexed.
CREATE INDEX tracked_sms_due_idx ON tracked_sms (next_poll_at) WHERE next_poll_at IS NOT NULL;

-- "Mettre à jour" for a whole school.
CREATE INDEX tracked_sms_school_followed_idx ON tracked_sms (uai) WHERE next_poll_at IS NOT NULL;

-- Row-level security, the second tenant wall (shared/db/migrations/0002_tenant_scope.sql): the
-- consumer writes under its batch's schools, each school's answers are recorded under that
-- school, and only the poller's claim of due rows (and its count) declares all schools.
ALTER TABLE tracked_sms ENABLE ROW LEVEL SECURITY;
ALTER TABLE tracked_sms FORCE ROW LEVEL SECURITY;

CREATE POLICY school_scope ON tracked_sms FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
