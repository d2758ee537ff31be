-- The tenants schema: sellers, connected Pages with encrypted tokens, OAuth states, settings,
-- listings and their rule overrides, deletion requests, platform flags and the outbox.
-- Runs with search_path = the service's schema (parley tenants migrate).

CREATE TABLE sellers (
    seller_id        text PRIMARY KEY,
    name             text NOT NULL,
    email            text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'paused', 'deleted')),
    -- App-scoped id of the Facebook user who connected the Pages (data deletion finds it).
    facebook_user_id text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          bigint NOT NULL DEFAULT 1
);
CREATE INDEX sellers_facebook_user ON sellers (facebook_user_id) WHERE facebook_user_id IS NOT NULL;

CREATE TABLE pages (
    page_id               text PRIMARY KEY,
    seller_id             text NOT NULL REFERENCES sellers (seller_id) ON DELETE CASCADE,
    name                  text NOT NULL,
    status                text NOT NULL CHECK (status IN ('active', 'paused', 'needs_reconnect')),
    status_reason         text NOT NULL DEFAULT '',
    -- Fernet token of the Page access token; never plain text.
    token_ciphertext      bytea NOT NULL,
    -- Which key of PARLEY_ENCRYPTION_KEYS wrote it (first 16 hex of its SHA-256).
    token_key_id          text NOT NULL,
    profile_setup_pending boolean NOT NULL DEFAULT true,
    webhooks_subscribed   boolean NOT NULL DEFAULT false,
    token_checked_at      timestamptz,
    connected_at          timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    version               bigint NOT NULL DEFAULT 1
);
CREATE INDEX pages_seller ON pages (seller_id);
CREATE INDEX pages_token_key ON pages (token_key_id);

CREATE TABLE oauth_states (
    nonce      text PRIMARY KEY,
    seller_id  text NOT NULL REFERENCES sellers (seller_id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

CREATE TABLE seller_settings (
    seller_id              text PRIMARY KEY REFERENCES sellers (seller_id) ON DELETE CASCADE,
    languages              text[] NOT NULL DEFAULT '{en}',
    tone                   text NOT NULL DEFAULT 'friendly',
    reply_pace             text NOT NULL DEFAULT 'human' CHECK (reply_pace IN ('human', 'instant')),
    escrow_enabled         boolean NOT NULL DEFAULT false,
    human_takeover_enabled boolean NOT NULL DEFAULT true,
    -- [{"weekday": 1-7, "start": "HH:MM", "end": "HH:MM"}]
    viewing_availability   jsonb NOT NULL DEFAULT '[]',
    takeover_keywords      text[] NOT NULL DEFAULT '{}',
    max_concessions        integer NOT NULL DEFAULT 3 CHECK (max_concessions >= 0),
    currency               text NOT NULL DEFAULT 'USD',
    time_zone              text NOT NULL DEFAULT 'UTC',
    updated_at             timestamptz NOT NULL DEFAULT now(),
    version                bigint NOT NULL DEFAULT 1
);

CREATE TABLE listings (
    listing_id        text PRIMARY KEY,
    seller_id         text NOT NULL REFERENCES sellers (seller_id) ON DELETE CASCADE,
    page_id           text REFERENCES pages (page_id) ON DELETE SET NULL,
    title             text NOT NULL,
    description       text NOT NULL DEFAULT '',
    currency          text NOT NULL,
    asking_minor      bigint NOT NULL CHECK (asking_minor > 0),
    floor_minor       bigint NOT NULL CHECK (floor_minor > 0 AND floor_minor <= asking_minor),
    auto_accept_minor bigint CHECK (auto_accept_minor BETWEEN floor_minor AND asking_minor),
    max_concessions   integer CHECK (max_concessions >= 0),
    ref               text NOT NULL UNIQUE,
    status            text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'sold')),
    -- Vehicle facts (all optional): year, make, model, trim, mileage, condition, features.
    vehicle_year      integer,
    vehicle_make      text NOT NULL DEFAULT '',
    vehicle_model     text NOT NULL DEFAULT '',
    vehicle_trim      text NOT NULL DEFAULT '',
    mileage           bigint CHECK (mileage >= 0),
    mileage_unit      text NOT NULL DEFAULT 'km',
    condition         text NOT NULL DEFAULT '',
    features          text[] NOT NULL DEFAULT '{}',
    location          text NOT NULL DEFAULT '',
    photo_urls        text[] NOT NULL DEFAULT '{}',
    attributes        jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           bigint NOT NULL DEFAULT 1
);
CREATE INDEX listings_seller ON listings (seller_id);
CREATE INDEX listings_page ON listings (page_id);

-- Per-listing changes to the seller's settings; NULL keeps the seller's value.
CREATE TABLE listing_rule_overrides (
    listing_id              text PRIMARY KEY REFERENCES listings (listing_id) ON DELETE CASCADE,
    tone                    text,
    max_concessions         integer CHECK (max_concessions >= 0),
    reply_pace              text CHECK (reply_pace IN ('human', 'instant')),
    escrow_enabled          boolean,
    human_takeover_enabled  boolean,
    languages               text[] NOT NULL DEFAULT '{}',
    extra_takeover_keywords text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE deletion_requests (
    confirmation_code text PRIMARY KEY,
    -- SHA-256 (hex) of the Facebook user id: the request is traceable without keeping the id.
    user_id_sha256    text NOT NULL,
    status            text NOT NULL CHECK (status IN ('in_progress', 'completed')),
    progress          text[] NOT NULL DEFAULT '{}',
    requested_at      timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform_flags (
    name       text PRIMARY KEY,
    enabled    boolean NOT NULL,
    reason     text NOT NULL DEFAULT '',
    changed_at timestamptz NOT NULL DEFAULT now()
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
