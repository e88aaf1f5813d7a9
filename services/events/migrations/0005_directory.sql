-- The school's directory from the SIECLE exports (or the CSV fallback): where each pupil comes
-- from, pupils who left (kept: their SMS and absences reference them), and for each recipient the
-- values the last export gave next to the values staff set in the application.

ALTER TABLE pupils
    ADD COLUMN source      text        NOT NULL DEFAULT 'staff',
    ADD COLUMN external_id text,
    ADD COLUMN national_id text,
    ADD COLUMN retired_at  timestamptz,
    ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now(),
    -- What a name search compares: lower case, French accents and ligatures removed.
    ADD COLUMN search_name text GENERATED ALWAYS AS (
        replace(replace(translate(lower(last_name || ' ' || first_name),
                                  'àâäáãåçéèêëíìîïñóòôöõúùûüýÿ', 'aaaaaaceeeeiiiinooooouuuuyy'),
                        'œ', 'oe'), 'æ', 'ae')
    ) STORED,
    ADD CONSTRAINT pupils_source_known CHECK (source IN ('staff', 'siecle', 'csv'));
CREATE UNIQUE INDEX pupils_external_idx ON pupils (uai, source, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX pupils_current_idx ON pupils (uai, division, last_name, first_name)
    WHERE retired_at IS NULL;

-- mobile / accepts_sms / mobile_problem stay the values SMS use; they are derived from what the
-- export gave (imported_*) and what staff set (staff_*): the staff's number wins, an opt-out from
-- either side wins.
ALTER TABLE recipients
    ADD COLUMN kind                 text        NOT NULL DEFAULT 'guardian',
    ADD COLUMN external_id          text,
    ADD COLUMN mobile_problem       text,
    ADD COLUMN imported_mobile      text,
    ADD COLUMN imported_problem     text,
    ADD COLUMN imported_phone_raw   text,
    ADD COLUMN imported_accepts_sms boolean,
    ADD COLUMN staff_mobile_set     boolean     NOT NULL DEFAULT false,
    ADD COLUMN staff_mobile         text,
    ADD COLUMN staff_accepts_sms    boolean,
    ADD COLUMN retired_at           timestamptz,
    ADD COLUMN updated_at           timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT recipients_kind_known CHECK (kind IN ('guardian', 'pupil')),
    ADD CONSTRAINT recipients_problem_known
        CHECK (mobile_problem IS NULL OR mobile_problem IN ('not_a_mobile', 'invalid_number'));
-- Recipients made before this migration were typed by staff: their values are the staff's.
UPDATE recipients SET staff_mobile_set = true, staff_mobile = mobile, staff_accepts_sms = accepts_sms;
CREATE INDEX recipients_uai_pupil_idx ON recipients (uai, pupil_id);

-- One row per import: who, when, which files, and the summary it answered.
CREATE TABLE directory_imports (
    id          uuid PRIMARY KEY,
    uai         text        NOT NULL REFERENCES schools (uai),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    format      text        NOT NULL,
    school_year integer,
    pupils_exported_on   date,
    guardians_exported_on date,
    summary     jsonb       NOT NULL
);
CREATE INDEX directory_imports_uai_idx ON directory_imports (uai, at DESC);

ALTER TABLE directory_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE directory_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY school_scope ON directory_imports FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
