-- Staff's decision on an SMS whose outcome was unknown ("à vérifier"), from sms.resolve.v1: resend
-- it (back in the queue, explicitly authorised) or keep it as sent without confirmation.
ALTER TABLE send_queue
    ADD COLUMN resolution  text CHECK (resolution IN ('resend', 'keep_as_sent')),
    ADD COLUMN resolved_at timestamptz,
    ADD COLUMN resolved_by text;
