-- Which dispatcher replica serves a school's account right now: one at a time, so that the
-- account is paced as a whole. A lease that is not renewed expires and another replica takes
-- over. (Safety does not rest on it: claims skip locked rows and results are fenced by the
-- claim's `sending_since`; the lease is about pacing and not splitting a school's batches.)
CREATE TABLE account_leases (
    uai        text PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);

ALTER TABLE account_leases ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_leases FORCE ROW LEVEL SECURITY;

CREATE POLICY school_scope ON account_leases FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
