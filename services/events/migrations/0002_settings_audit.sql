-- The seed's "Paramétrages": the académie's green light, territories, quiet hours, the Conseil
-- d'Administration's approval of the operator's contract, an action's provider account code, and
-- the audit trail of every settings change.

-- The green light ("feu vert"): a school created from now on waits for the académie's.
-- Schools already created keep the value they had.
ALTER TABLE schools ALTER COLUMN sms_enabled SET DEFAULT false;
ALTER TABLE schools
    ADD COLUMN territory          text NOT NULL DEFAULT 'metropole',
    ADD COLUMN address            text,
    ADD COLUMN quiet_start        time,
    ADD COLUMN quiet_end          time,
    ADD COLUMN sms_enabled_at     timestamptz,
    ADD COLUMN sms_enabled_by     text,
    ADD CONSTRAINT schools_quiet_hours_pair CHECK ((quiet_start IS NULL) = (quiet_end IS NULL));

ALTER TABLE provider_settings
    ADD COLUMN ca_approved_on date,
    ADD COLUMN ca_reference   text;

-- "Code fournisseur de service": which provider account sends the action's SMS (one, code 0).
ALTER TABLE actions ADD COLUMN provider_account_code smallint NOT NULL DEFAULT 0;

-- Who changed which setting of a school, when, and what changed (never a secret).
CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    uai     text        NOT NULL,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text        NOT NULL,
    action  text        NOT NULL,
    details jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_uai_idx ON audit_log (uai, id DESC);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY school_scope ON audit_log FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
