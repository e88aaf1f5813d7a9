-- Plumbing every service's schema carries: the transactional outbox, the consumer inbox and the
-- attempt counters that bring a poison message to its dead-letter topic even across restarts.

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    topic        text        NOT NULL,
    message_key  bytea,
    payload      bytea       NOT NULL,
    headers      jsonb       NOT NULL DEFAULT '[]'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

-- The relay only ever looks for what is still to publish.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE inbox (
    consumer_group text        NOT NULL,
    message_id     uuid        NOT NULL,
    processed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, message_id)
);

CREATE INDEX inbox_processed_at_idx ON inbox (processed_at);

-- message_ref is the message id when the message parsed, else "topic:partition:offset".
CREATE TABLE consumer_attempts (
    consumer_group text        NOT NULL,
    message_ref    text        NOT NULL,
    attempts       integer     NOT NULL,
    last_error     text        NOT NULL,
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    last_failed_at timestamptz NOT NULL DEFAULT now(),
    dead_lettered_at timestamptz,
    PRIMARY KEY (consumer_group, message_ref)
);
