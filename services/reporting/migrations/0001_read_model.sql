-- The reporting read model: one row per SMS for the "Suivi des SMS" lists, the monthly counters
-- of the "Synthèse SMS", and what each school's requests told about its calendar.
--
-- Rows are merged in Python (reporting.domain.tracking) under a row lock and written back in
-- batches; the counters move by the difference between a row's contribution before and after,
-- in the same transaction, so they stay exact under replays and any arrival order.

CREATE TABLE sms_tracking (
    sms_id                  uuid        PRIMARY KEY,
    uai                     text        NOT NULL,
    absence_id              uuid,
    action_code             text,
    recipient_role          text,
    -- From sms.requested; NULL until it arrived (a status may come first). Only rows with a
    -- known diffusion are listed and counted.
    action_label            text,
    pupil_name              text,
    pupil_key               text,       -- pupil_name without accents nor case, for searches
    division                text,
    event_label             text,
    diffused_at             timestamptz,
    diffused_on             date,       -- day of diffusion in the school's time zone
    diffused_month          date,       -- first day of that month (the counters' month)
    time_zone               text,
    school_year_start_month smallint,
    -- The state, as shared.states.may_replace lets it move.
    state                   text        NOT NULL,
    tab                     text        NOT NULL,
    own_verdict             boolean     NOT NULL,
    state_changed_at        timestamptz NOT NULL,
    reason_code             text,
    reason_message          text,
    operator_code           text,
    provider_code           text,
    provider_message_id     text,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sms_tracking_diffusion_whole CHECK (
        (diffused_at IS NULL) = (diffused_month IS NULL)
        AND (diffused_at IS NULL) = (diffused_on IS NULL)
        AND (diffused_at IS NULL) = (time_zone IS NULL)
    ),
    CONSTRAINT sms_tracking_tab_known CHECK (
        tab IN ('in_progress', 'delivered', 'invalid_or_undelivered')
    )
);

-- One tab of one school, newest diffusion first: the lists' filter, order and count.
CREATE INDEX sms_tracking_tab_idx
    ON sms_tracking (uai, tab, diffused_at DESC, sms_id)
    WHERE diffused_at IS NOT NULL;

-- All the SMS of one school, newest first (tab "all", date filters).
CREATE INDEX sms_tracking_school_idx
    ON sms_tracking (uai, diffused_at DESC, sms_id)
    WHERE diffused_at IS NOT NULL;

-- Per school × month × action: SMS diffused that month (in the school's time zone) and delivered.
-- Writes are upserts of differences (+1 total, ±1 delivered); PostgreSQL checks CHECK constraints
-- on the proposed insert row before it takes the ON CONFLICT path, so "0 <= delivered <= total"
-- cannot be a constraint here: the tests compare the counters with an aggregate of the rows.
CREATE TABLE monthly_counts (
    uai          text    NOT NULL,
    month        date    NOT NULL,
    action_code  text    NOT NULL,
    action_label text    NOT NULL,
    total        integer NOT NULL,
    delivered    integer NOT NULL,
    PRIMARY KEY (uai, month, action_code)
);

-- The school's time zone and school-year start month, as its latest request said.
CREATE TABLE school_calendars (
    uai                     text        PRIMARY KEY,
    time_zone               text        NOT NULL,
    school_year_start_month smallint    NOT NULL,
    as_of                   timestamptz NOT NULL
);

-- Row-level security, the second wall behind the HTTP tenant check: a transaction sees and writes
-- only the schools it declared (shared.db.pool.set_tenant_scope; the consumer declares its batch's;
-- see shared/db/migrations/0002_tenant_scope.sql). FORCE: the tables' owner is held to it too.
ALTER TABLE sms_tracking ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms_tracking FORCE ROW LEVEL SECURITY;
ALTER TABLE monthly_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE monthly_counts FORCE ROW LEVEL SECURITY;
ALTER TABLE school_calendars ENABLE ROW LEVEL SECURITY;
ALTER TABLE school_calendars FORCE ROW LEVEL SECURITY;

CREATE POLICY school_scope ON sms_tracking FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON monthly_counts FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON school_calendars FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
