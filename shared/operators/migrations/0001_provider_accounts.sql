-- The schools' provider accounts as the latest `school.settings.v1` says, in the schema of each
-- service that talks to operators (dispatcher, status-poller). Secrets stay encrypted here.
CREATE TABLE provider_accounts (
    uai                      text PRIMARY KEY,
    version                  bigint      NOT NULL,
    name                     text        NOT NULL,
    sms_enabled              boolean     NOT NULL,
    sender_name              text,
    time_zone                text        NOT NULL,
    school_year_start_month  smallint    NOT NULL,
    quiet_hours              jsonb,
    provider_code            text,
    dialect                  text,
    base_url                 text,
    account_key              text,
    password_encrypted       text,
    option1                  text,
    option2                  text,
    receipt_secret_encrypted text,
    updated_at               timestamptz NOT NULL DEFAULT now()
);

-- Tenant wall (shared/db/migrations/0002_tenant_scope.sql): a transaction sees the accounts of the
-- schools it declared; the sender's and the poller's claims load those of their claimed rows
-- under an explicit all-schools scope.
ALTER TABLE provider_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY school_scope ON provider_accounts FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
