-- Local staff accounts of the web interface: a school's vie scolaire (role staff, one school) and
-- the académie's administrators (no school). Passwords are kept as scrypt hashes; repeated
-- failures lock the account for a while. Single sign-on (OpenID Connect) will not use this table.
CREATE TABLE staff_accounts (
    login           text PRIMARY KEY CHECK (login = lower(login) AND length(login) BETWEEN 3 AND 200),
    uai             text,
    role            text        NOT NULL CHECK (role IN ('staff', 'academie_admin')),
    display_name    text,
    password_hash   text        NOT NULL,
    failed_attempts integer     NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    last_sign_in_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'staff') = (uai IS NOT NULL))
);
CREATE INDEX staff_accounts_uai_idx ON staff_accounts (uai);

-- A school's accounts are its data; signing in happens before anyone knows the school, so the
-- sign-in path declares an explicit all-schools scope (events.ui.accounts).
ALTER TABLE staff_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY school_scope ON staff_accounts FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
