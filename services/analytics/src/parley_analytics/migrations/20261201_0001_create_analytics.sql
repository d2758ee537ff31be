-- Analytics: the event log (idempotency, and what each event said), what is known of each
-- conversation and Page, contributions waiting for their seller or listing, and the hourly
-- figures per scope that reports add up.

CREATE TABLE events (
    event_id        text PRIMARY KEY,
    source          text NOT NULL,
    kind            text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    seller_id       text NOT NULL DEFAULT '',
    page_id         text NOT NULL DEFAULT '',
    listing_id      text NOT NULL DEFAULT '',
    conversation_id text NOT NULL DEFAULT '',
    buyer_id        text NOT NULL DEFAULT '',
    details         jsonb NOT NULL DEFAULT '{}',
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
-- For deletion requests: a seller's events, a Page's, a buyer's and their conversations'.
CREATE INDEX events_by_seller ON events (seller_id) WHERE seller_id <> '';
CREATE INDEX events_by_page ON events (page_id) WHERE page_id <> '';
CREATE INDEX events_by_buyer ON events (buyer_id) WHERE buyer_id <> '';
CREATE INDEX events_by_conversation ON events (conversation_id) WHERE conversation_id <> '';

CREATE TABLE conversations (
    conversation_id text PRIMARY KEY,
    seller_id       text NOT NULL DEFAULT '',
    page_id         text NOT NULL DEFAULT '',
    listing_id      text NOT NULL DEFAULT '',
    buyer_id        text NOT NULL DEFAULT '',
    -- A negotiation event named it: its seller and listing are known.
    known           boolean NOT NULL DEFAULT false,
    started_at      timestamptz,
    first_sent_at   timestamptz,
    deal_at         timestamptz,
    human_at        timestamptz
);
CREATE INDEX conversations_by_seller ON conversations (seller_id);
CREATE INDEX conversations_by_buyer ON conversations (buyer_id) WHERE buyer_id <> '';

-- Which seller a Page belongs to ('' while unknown).
CREATE TABLE pages (
    page_id   text PRIMARY KEY,
    seller_id text NOT NULL DEFAULT ''
);
CREATE INDEX pages_by_seller ON pages (seller_id);

-- Contributions waiting for a Page's seller (key_kind 'page') or a conversation's listing
-- (key_kind 'conversation'); `only_listing` when the other scopes already have them.
CREATE TABLE deferred (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_kind        text NOT NULL CHECK (key_kind IN ('page', 'conversation')),
    key_id          text NOT NULL,
    only_listing    boolean NOT NULL,
    hour            timestamptz NOT NULL,
    seller_id       text NOT NULL DEFAULT '',
    page_id         text NOT NULL DEFAULT '',
    listing_id      text NOT NULL DEFAULT '',
    conversation_id text NOT NULL DEFAULT '',
    delta           jsonb NOT NULL
);
CREATE INDEX deferred_by_key ON deferred (key_kind, key_id);

-- Sellers whose data was deleted: their events still on the way are dropped.
CREATE TABLE forgotten_sellers (
    seller_id    text PRIMARY KEY,
    forgotten_at timestamptz NOT NULL DEFAULT now()
);

-- Figures per scope ('platform' with id '', 'seller', 'page', 'listing') and UTC hour.
CREATE TABLE hourly (
    scope                   text NOT NULL,
    scope_id                text NOT NULL,
    hour                    timestamptz NOT NULL,
    conversations_started   bigint NOT NULL DEFAULT 0,
    conversations_converted bigint NOT NULL DEFAULT 0,
    human_takeovers         bigint NOT NULL DEFAULT 0,
    messages_received       bigint NOT NULL DEFAULT 0,
    offers_received         bigint NOT NULL DEFAULT 0,
    deals_agreed            bigint NOT NULL DEFAULT 0,
    priced_deals            bigint NOT NULL DEFAULT 0,
    zoned_deals             bigint NOT NULL DEFAULT 0,
    escrow_offered          bigint NOT NULL DEFAULT 0,
    scam_flags              bigint NOT NULL DEFAULT 0,
    replies_sent            bigint NOT NULL DEFAULT 0,
    policy_blocks           bigint NOT NULL DEFAULT 0,
    send_failures           bigint NOT NULL DEFAULT 0,
    price_to_asking_sum     double precision NOT NULL DEFAULT 0,
    price_in_zone_sum       double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, scope_id, hour)
);

-- Counts by class (send failures by outcome, policy blocks by rule, scam flags by kind).
CREATE TABLE hourly_classes (
    scope    text NOT NULL,
    scope_id text NOT NULL,
    hour     timestamptz NOT NULL,
    family   text NOT NULL,
    class    text NOT NULL,
    count    bigint NOT NULL,
    PRIMARY KEY (scope, scope_id, hour, family, class)
);

-- Latency histograms: counts per log-spaced bin (parley_analytics.domain.histogram).
CREATE TABLE hourly_latency (
    scope    text NOT NULL,
    scope_id text NOT NULL,
    hour     timestamptz NOT NULL,
    metric   text NOT NULL,
    bin      smallint NOT NULL,
    count    bigint NOT NULL,
    PRIMARY KEY (scope, scope_id, hour, metric, bin)
);
