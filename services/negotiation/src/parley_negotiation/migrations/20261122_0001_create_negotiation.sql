-- Negotiation: conversations with their negotiation state, transcripts, the inbound events
-- already handled (idempotency), private replies to comments, and the outbox of reply commands.

CREATE TABLE conversations (
    conversation_id text PRIMARY KEY,
    page_id         text NOT NULL,
    buyer_id        text NOT NULL,
    seller_id       text NOT NULL DEFAULT '',
    listing_id      text NOT NULL DEFAULT '',
    state           text NOT NULL DEFAULT 'bot'
                    CHECK (state IN ('bot', 'human', 'paused', 'closed')),
    state_reason    text NOT NULL DEFAULT '',
    negotiation     jsonb NOT NULL DEFAULT '{}',
    -- When the newest inbound event handled happened (Facebook's timestamp).
    last_event_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (page_id, buyer_id)
);
CREATE INDEX conversations_by_page ON conversations (page_id, state, updated_at DESC);

CREATE TABLE transcript (
    line_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id text NOT NULL REFERENCES conversations (conversation_id) ON DELETE CASCADE,
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    author          text NOT NULL DEFAULT '' ,  -- buyer, bot, human
    text            text NOT NULL DEFAULT '',
    decision        text NOT NULL DEFAULT '',
    event_id        text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL
);
CREATE INDEX transcript_by_conversation ON transcript (conversation_id, at, line_id);

CREATE TABLE handled_events (
    event_id     text PRIMARY KEY,
    handled_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handled_events_age ON handled_events (handled_at);

CREATE TABLE comment_replies (
    comment_id  text PRIMARY KEY,
    page_id     text NOT NULL,
    listing_id  text NOT NULL,
    replied_at  timestamptz NOT NULL DEFAULT now()
);

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
