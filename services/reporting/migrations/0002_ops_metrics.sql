-- What the operations dashboard reads, kept like the monthly counters: moved by differences in
-- the transaction that changes an SMS row, so that the figures are exact across replays, restarts
-- and replicas, and a scrape never scans the SMS rows.

-- Per school × operator × state × reason: SMS in that state now (`current`), and SMS that ever
-- entered it (`reached`, only ever grows: the throughput and failure counters).
CREATE TABLE state_counts (
    uai           text    NOT NULL,
    operator      text    NOT NULL,  -- provider code, '' while unknown
    state         text    NOT NULL,
    reason        text    NOT NULL,  -- reason code of a rejection or failure, '' otherwise
    current       integer NOT NULL,
    reached       bigint  NOT NULL,
    PRIMARY KEY (uai, operator, state, reason)
);

-- Per school × operator × latency bucket: SMS delivered, and the sum of their times from
-- "Diffuser" to the delivery report (a histogram; bucket = index of its upper bound in
-- reporting.domain.ops_metrics.LATENCY_BUCKETS, the last one unbounded).
CREATE TABLE delivery_times (
    uai       text             NOT NULL,
    operator  text             NOT NULL,
    bucket    smallint         NOT NULL,
    count     bigint           NOT NULL,
    seconds   double precision NOT NULL,
    PRIMARY KEY (uai, operator, bucket)
);

-- The SMS waiting for an operator's answer, oldest first: "stuck in transit" reads only these.
CREATE INDEX sms_tracking_awaiting_answer_idx
    ON sms_tracking (state_changed_at)
    WHERE state IN ('in_transit', 'carrier_accepted');

ALTER TABLE state_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE state_counts FORCE ROW LEVEL SECURITY;
ALTER TABLE delivery_times ENABLE ROW LEVEL SECURITY;
ALTER TABLE delivery_times FORCE ROW LEVEL SECURITY;

CREATE POLICY school_scope ON state_counts FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
CREATE POLICY school_scope ON delivery_times FOR ALL
    USING (tenant_allows(uai)) WITH CHECK (tenant_allows(uai));
