-- The latest word of the dispatcher on each school's operator (provider.health.v1): the staff
-- banner "le service d'envoi de SMS est injoignable" and how many SMS wait.
CREATE TABLE provider_health (
    uai             text PRIMARY KEY,
    provider_code   text,
    reachable       boolean     NOT NULL,
    circuit_state   text        NOT NULL,
    waiting_sms     integer     NOT NULL,
    last_error_code text,
    last_error_fr   text,
    checked_at      timestamptz NOT NULL
);

ALTER TABLE provider_health ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_health FORCE ROW LEVEL SECURITY;
CREATE POLICY school_scope ON provider_health FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
