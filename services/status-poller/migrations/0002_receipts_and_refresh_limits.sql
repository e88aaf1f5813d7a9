-- Receipts pushed by operators name an SMS by the operator's message id: find it within a school.
CREATE INDEX tracked_sms_provider_message_idx
    ON tracked_sms (uai, provider_message_id) WHERE provider_message_id IS NOT NULL;

-- A receipt that names a message id nobody submitted yet (the operator's push overtook the
-- dispatcher's sms.submitted.v1): kept until the submission arrives, then applied and deleted.
-- Only what the receipt said of the state, never a number or a text.
CREATE TABLE early_receipts (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uai                 text        NOT NULL,
    provider_code       text        NOT NULL,
    provider_message_id text        NOT NULL,
    state               text        NOT NULL,
    operator_code       text,
    changed_at          timestamptz NOT NULL,
    received_at         timestamptz NOT NULL,
    CONSTRAINT early_receipts_state_check CHECK (state IN (
        'in_transit', 'carrier_accepted', 'delivered', 'undelivered', 'invalid', 'failed'))
);

CREATE INDEX early_receipts_message_idx ON early_receipts (uai, provider_message_id);
-- The purge of receipts whose submission never came.
CREATE INDEX early_receipts_received_idx ON early_receipts (received_at);

ALTER TABLE early_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE early_receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY school_scope ON early_receipts FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));

-- "Mettre à jour" per school: the earliest moment the next refresh may make SMS due, so that
-- repeated clicks cannot flood the school's operator.
CREATE TABLE refresh_limits (
    uai             text        PRIMARY KEY,
    next_allowed_at timestamptz NOT NULL
);

ALTER TABLE refresh_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY school_scope ON refresh_limits FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
