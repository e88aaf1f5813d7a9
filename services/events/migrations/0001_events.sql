-- Schools and their SMS settings, provider accounts, SMS actions, pupils and the people who may
-- receive an SMS about them, absences, and the SMS themselves from "à diffuser" to their last state.

CREATE TABLE schools (
    uai                     text PRIMARY KEY,
    name                    text        NOT NULL,
    phone                   text,
    sender_name             text,
    time_zone               text        NOT NULL DEFAULT 'Europe/Paris',
    phone_region            text        NOT NULL DEFAULT 'FR',
    school_year_start_month smallint    NOT NULL DEFAULT 9,
    sms_enabled             boolean     NOT NULL DEFAULT true,
    settings_version        bigint      NOT NULL DEFAULT 0,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE provider_settings (
    uai                      text PRIMARY KEY REFERENCES schools (uai),
    provider_code            text        NOT NULL,
    account_key              text,
    password_encrypted       text,
    option1                  text,
    option2                  text,
    receipt_secret_encrypted text,
    updated_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE actions (
    id                  uuid PRIMARY KEY,
    uai                 text        NOT NULL REFERENCES schools (uai),
    code                text        NOT NULL,
    label               text        NOT NULL,
    response_delay_days integer     NOT NULL DEFAULT 1,
    template            text        NOT NULL,
    contact_phone       text,
    active              boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (uai, code)
);

CREATE TABLE pupils (
    id         uuid PRIMARY KEY,
    uai        text        NOT NULL REFERENCES schools (uai),
    last_name  text        NOT NULL,
    first_name text        NOT NULL,
    division   text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pupils_uai_idx ON pupils (uai, last_name, first_name);

-- The people an SMS about a pupil may go to: guardians and the pupil ("Élève").
CREATE TABLE recipients (
    id          uuid PRIMARY KEY,
    uai         text    NOT NULL,
    pupil_id    uuid    NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    position    smallint NOT NULL DEFAULT 0,
    role_label  text    NOT NULL,
    name        text,
    mobile      text,
    accepts_sms boolean NOT NULL DEFAULT false
);
CREATE INDEX recipients_pupil_idx ON recipients (pupil_id);

CREATE TABLE absences (
    id          uuid PRIMARY KEY,
    uai         text        NOT NULL REFERENCES schools (uai),
    pupil_id    uuid        NOT NULL REFERENCES pupils (id),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    reason      text,
    evidence    text,
    observed    boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at >= starts_at)
);
CREATE INDEX absences_uai_idx ON absences (uai, starts_at DESC);

CREATE TABLE sms (
    id                  uuid PRIMARY KEY,
    uai                 text        NOT NULL REFERENCES schools (uai),
    absence_id          uuid        NOT NULL REFERENCES absences (id),
    action_id           uuid        NOT NULL REFERENCES actions (id),
    recipient_id        uuid        REFERENCES recipients (id) ON DELETE SET NULL,
    recipient_role      text        NOT NULL,
    recipient_phone     text        NOT NULL,
    text                text        NOT NULL,
    encoding            text        NOT NULL,
    segments            integer     NOT NULL,
    state               text        NOT NULL DEFAULT 'pending',
    own_verdict         boolean     NOT NULL DEFAULT false,
    reason_code         text,
    reason_message      text,
    provider_message_id text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    diffused_at         timestamptz,
    diffused_by         text,
    state_changed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_pending_idx ON sms (uai, created_at) WHERE state = 'pending';
CREATE INDEX sms_absence_idx ON sms (absence_id);
-- One SMS per absence, action and number while it waits: two guardians sharing a mobile get one.
CREATE UNIQUE INDEX sms_one_pending_per_number
    ON sms (absence_id, action_id, recipient_phone) WHERE state = 'pending';

-- Row-level security, the second wall behind the HTTP tenant check: a staff request's transaction
-- sees and writes only its school, a consumer's only the schools of its batch (see
-- shared/db/migrations/0002_tenant_scope.sql). FORCE: the tables' owner is held to it too.
ALTER TABLE schools ENABLE ROW LEVEL SECURITY;
ALTER TABLE schools FORCE ROW LEVEL SECURITY;
ALTER TABLE provider_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_settings FORCE ROW LEVEL SECURITY;
ALTER TABLE actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE actions FORCE ROW LEVEL SECURITY;
ALTER TABLE pupils ENABLE ROW LEVEL SECURITY;
ALTER TABLE pupils FORCE ROW LEVEL SECURITY;
ALTER TABLE recipients ENABLE ROW LEVEL SECURITY;
ALTER TABLE recipients FORCE ROW LEVEL SECURITY;
ALTER TABLE absences ENABLE ROW LEVEL SECURITY;
ALTER TABLE absences FORCE ROW LEVEL SECURITY;
ALTER TABLE sms ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms FORCE ROW LEVEL SECURITY;

CREATE POLICY school_scope ON schools FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON provider_settings FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON actions FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON pupils FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON recipients FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON absences FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON sms FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
