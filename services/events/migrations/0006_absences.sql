-- Absences as the seed's "Saisie d'un évènement" records them (motif légitime, who and when),
-- edited, justified or deleted; SMS remembering whether their text was transliterated to GSM-7
-- and who made them; what the "délai de réponse avant alerte" list reads.

ALTER TABLE absences
    ADD COLUMN reason_legitimate boolean     NOT NULL DEFAULT false,
    ADD COLUMN created_by        text,
    ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN deleted_at        timestamptz,
    ADD COLUMN deleted_by        text;

-- "Justified": a justificatif or a legitimate motif has been recorded. Defined once, here, so
-- that every query (alerts, the diffusion's re-check) reads the same rule.
ALTER TABLE absences
    ADD COLUMN justified boolean GENERATED ALWAYS AS (evidence IS NOT NULL OR reason_legitimate)
        STORED;

-- Absences that may still raise an alert: not justified, not deleted.
CREATE INDEX absences_open_idx ON absences (uai, id) WHERE NOT justified AND deleted_at IS NULL;

ALTER TABLE sms
    ADD COLUMN transliterated boolean NOT NULL DEFAULT false,
    ADD COLUMN created_by     text;

-- The SMS that left, per absence: what the alerts list groups.
CREATE INDEX sms_diffused_idx ON sms (uai, absence_id) WHERE diffused_at IS NOT NULL;
