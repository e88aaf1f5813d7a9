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
