-- Staff's decision on an SMS "à vérifier" (the dispatcher could not know whether the operator got
-- it): resend it, or keep it as sent without confirmation. The decision travels on sms.resolve.v1.
ALTER TABLE sms
    ADD COLUMN resolution  text CHECK (resolution IN ('resend', 'keep_as_sent')),
    ADD COLUMN resolved_by text,
    ADD COLUMN resolved_at timestamptz;

CREATE INDEX sms_unconfirmed_idx ON sms (uai, state_changed_at) WHERE state = 'unconfirmed';
