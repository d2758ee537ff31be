-- The delivery schema: replies and their outcomes (one row per idempotency key), the outbound
-- message log with delivery and read statuses, the messaging window per Page and buyer, Page
-- comments for private replies, Meta's policy blocks, echoes of our own sends, the shared
-- per-Page rate buckets, Messenger Profile calls, and the outbox.
-- Runs with search_path = the service's schema (parley delivery migrate).

CREATE TABLE replies (
    idempotency_key text PRIMARY KEY,
    page_id         text NOT NULL,
    recipient_id    text NOT NULL DEFAULT '',
    comment_id      text NOT NULL DEFAULT '',
    conversation_id text NOT NULL DEFAULT '',
    seller_id       text NOT NULL DEFAULT '',
    author          text NOT NULL CHECK (author IN ('bot', 'human')),
    agent_id        text NOT NULL DEFAULT '',
    text            text NOT NULL DEFAULT '',
    decided_at      timestamptz NOT NULL,
    -- 'sending' until the message part is settled; then its outcome.
    state           text NOT NULL CHECK (state IN ('sending', 'sent', 'refused', 'superseded',
                        'handed_over', 'unavailable', 'rejected', 'expired', 'no_message')),
    detail          text NOT NULL DEFAULT '',
    parts_sent      integer NOT NULL DEFAULT 0,
    message_ids     text[] NOT NULL DEFAULT '{}',
    messaging_type  text NOT NULL DEFAULT '',
    tag             text NOT NULL DEFAULT '',
    thread_action   text NOT NULL DEFAULT '' CHECK (thread_action IN ('', 'pass_to_inbox', 'take_back')),
    thread_done     boolean NOT NULL DEFAULT true,
    -- True from just before a Send API call until its answer is recorded: a crash (or a lost
    -- answer) in between leaves it set, and the next attempt looks for the echo first.
    in_doubt        boolean NOT NULL DEFAULT false,
    claimed_at      timestamptz,
    -- One attempt at a time, whichever instance holds the JetStream message.
    lease_until     timestamptz NOT NULL DEFAULT '-infinity',
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replies_conversation ON replies (page_id, recipient_id, created_at DESC);
CREATE INDEX replies_comment ON replies (comment_id) WHERE comment_id <> '';

CREATE TABLE outbound_messages (
    message_id      text PRIMARY KEY,
    idempotency_key text NOT NULL REFERENCES replies (idempotency_key) ON DELETE CASCADE,
    part            integer NOT NULL,
    page_id         text NOT NULL,
    recipient_id    text NOT NULL,
    kind            text NOT NULL,
    status          text NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'delivered', 'read')),
    sent_at         timestamptz NOT NULL,
    delivered_at    timestamptz,
    read_at         timestamptz,
    UNIQUE (idempotency_key, part)
);
CREATE INDEX outbound_conversation ON outbound_messages (page_id, recipient_id, sent_at);

-- The buyer's last action (it opens the window) and last message or tap (it supersedes
-- replies waiting to answer an older one), from inbound events, whatever their order.
CREATE TABLE windows (
    page_id         text NOT NULL,
    psid            text NOT NULL,
    last_action_at  timestamptz NOT NULL,
    last_message_at timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (page_id, psid)
);

CREATE TABLE comments (
    comment_id text PRIMARY KEY,
    page_id    text NOT NULL,
    from_id    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);

CREATE TABLE page_policy (
    page_id    text PRIMARY KEY,
    blocked    boolean NOT NULL,
    reason     text NOT NULL DEFAULT '',
    changed_at timestamptz NOT NULL
);

-- Echoes of our own sends (metadata `parley:<key>:<part>`): proof that a send went out.
CREATE TABLE echoes (
    idempotency_key text NOT NULL,
    part            integer NOT NULL,
    message_id      text NOT NULL,
    echoed_at       timestamptz NOT NULL,
    PRIMARY KEY (idempotency_key, part)
);

-- Per-Page token buckets shared by every delivery instance (domain/ratelimit.py).
CREATE TABLE rate_buckets (
    page_id    text PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE profile_calls (
    page_id   text NOT NULL,
    called_at timestamptz NOT NULL
);
CREATE INDEX profile_calls_page ON profile_calls (page_id, called_at);

CREATE TABLE page_profiles (
    page_id    text PRIMARY KEY,
    digest     text NOT NULL,
    profile    jsonb NOT NULL,
    applied_at timestamptz NOT NULL
);

-- The transactional outbox (parley_kit.outbox.OUTBOX_DDL).
CREATE TABLE outbox (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text NOT NULL UNIQUE,
    subject      text NOT NULL,
    payload      bytea NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
