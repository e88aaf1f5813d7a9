-- "Il y a actuellement N SMS" without counting rows: the number of diffused SMS per school and
-- tab, moved by differences with the rows like the monthly counters. A list with filters still
-- counts its rows (within the filters).
CREATE TABLE tab_counts (
    uai    text   NOT NULL,
    tab    text   NOT NULL,
    count  bigint NOT NULL,
    PRIMARY KEY (uai, tab)
);

ALTER TABLE tab_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE tab_counts FORCE ROW LEVEL SECURITY;
CREATE POLICY school_scope ON tab_counts FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));

-- Counters for the rows already there (written before this migration, or before 0002 for the
-- operations counters): recomputed from the rows, across every school.
SELECT set_config('app.tenant_all', 'on', true);

INSERT INTO tab_counts (uai, tab, count)
SELECT uai, tab, count(*) FROM sms_tracking WHERE diffused_at IS NOT NULL GROUP BY uai, tab;

DELETE FROM state_counts;
INSERT INTO state_counts (uai, operator, state, reason, current, reached)
SELECT uai, coalesce(provider_code, ''), state, coalesce(reason_code, ''), count(*), count(*)
  FROM sms_tracking GROUP BY 1, 2, 3, 4;

SELECT set_config('app.tenant_all', '', true);
