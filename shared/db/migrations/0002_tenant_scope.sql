-- Row-level security, the second tenant wall behind the HTTP check: every table holding a
-- school's data (every table with a `uai` column) has RLS enabled and forced, and one policy
--     CREATE POLICY school_scope ON <table> FOR ALL
--         USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
-- so that a transaction reads and writes only the rows of the schools it declared
-- (shared.db.pool.set_tenant_scope → app.tenant_uais, a comma-separated list), or of every school
-- when it declared so explicitly (shared.db.pool.set_all_schools_scope → app.tenant_all = on).
-- Both settings are transaction-local; a transaction that declares nothing sees nothing (an unset
-- setting reads as NULL or '', which allows no row).
--
-- A plain SQL, STABLE, non-SECURITY DEFINER function whose body is one expression: the planner
-- inlines it into each policy, so a query's own `uai = $1` / `uai = ANY($1)` still drives an index
-- on `uai` and the policy is only a cheap filter on the rows found (see
-- tests/shared/test_row_level_security.py). The body is bound at creation (SQL-standard body),
-- so it does not depend on the caller's search_path.
CREATE FUNCTION tenant_allows(row_uai text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN pg_catalog.current_setting('app.tenant_all', true) = 'on'
        OR row_uai = ANY (
            pg_catalog.string_to_array(pg_catalog.current_setting('app.tenant_uais', true), ',')
        );
