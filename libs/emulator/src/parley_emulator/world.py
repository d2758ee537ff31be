"""The emulator's whole state in memory, and the operations that change it."""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from parley_emulator.config import EmulatorConfig
from parley_emulator.model import (
    PAGE_INBOX_APP_ID,
    WEBHOOK_FIELDS,
    App,
    AuthCode,
    Buyer,
    Comment,
    Item,
    Page,
    Thread,
    Token,
    User,
)

PAGE_SCOPES = [
    "pages_messaging",
    "pages_manage_metadata",
    "pages_show_list",
    "pages_read_engagement",
]


def new_id(digits: int = 15) -> str:
    """A numeric id like Meta's (no leading zero)."""
    return str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))


def new_mid() -> str:
    """A message id like Meta's `m_...`."""
    return "m_" + secrets.token_urlsafe(24)


def new_token(prefix: str = "EAA") -> str:
    """An opaque access token in the shape of Meta's (`EAA...`)."""
    return prefix + secrets.token_urlsafe(36).replace("-", "A").replace("_", "B")


@dataclass(slots=True)
class SentRecord:
    """An accepted Send API call, kept for `GET /_emulator/sent`."""

    index: int
    page_id: str
    psid: str
    item: Item


SENT_LOG_MAX = 200_000


@dataclass
class World:
    """Apps, users, Pages, buyers, tokens, threads and the log of accepted sends."""

    config: EmulatorConfig = field(default_factory=EmulatorConfig)
    apps: dict[str, App] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    buyers: dict[str, Buyer] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    threads: dict[tuple[str, str], Thread] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    sent: deque[SentRecord] = field(default_factory=lambda: deque(maxlen=SENT_LOG_MAX))
    sent_total: int = 0
    sent_by_page: dict[str, int] = field(default_factory=dict)
    dirty: bool = False

    def now_ms(self) -> int:
        """The emulated clock: wall time plus the configured offset."""
        return int(time.time() * 1000) + self.config.clock_offset_ms

    def now_s(self) -> int:
        """The emulated clock in seconds."""
        return self.now_ms() // 1000

    # Apps, users, Pages, buyers ------------------------------------------------

    def put_app(self, data: dict[str, Any]) -> App:
        """Create or update an app from its JSON form."""
        app_id = str(data.get("id") or new_id(16))
        app = self.apps.get(app_id) or App(id=app_id, secret=secrets.token_hex(16))
        for key in ("secret", "name", "verify_token"):
            if key in data:
                setattr(app, key, str(data[key]))
        if "callback_url" in data:
            app.callback_url = str(data["callback_url"]) if data["callback_url"] else None
        if "require_proof" in data:
            app.require_proof = bool(data["require_proof"])
        self.apps[app_id] = app
        self.dirty = True
        return app

    def put_user(self, data: dict[str, Any]) -> User:
        """Create or update a Facebook user (a seller) from its JSON form."""
        user_id = str(data.get("id") or new_id(15))
        user = self.users.get(user_id) or User(id=user_id, name=str(data.get("name", "Seller")))
        user.name = str(data.get("name", user.name))
        for page_id in data.get("pages", []):
            if str(page_id) not in user.page_ids:
                user.page_ids.append(str(page_id))
        self.users[user_id] = user
        self.dirty = True
        return user

    def put_page(self, data: dict[str, Any]) -> Page:
        """Create or update a Page; a new Page gets a token for its app and all fields."""
        page_id = str(data.get("id") or new_id(15))
        page = self.pages.get(page_id) or Page(id=page_id, name=str(data.get("name", "Page")))
        page.name = str(data.get("name", page.name))
        if data.get("app_id"):
            page.app_id = str(data["app_id"])
        if "send_rate" in data:
            page.send_rate = None if data["send_rate"] is None else int(data["send_rate"])
        self.pages[page_id] = page
        if page.app_id:
            self._seed_page_app(page, page.app_id, data)
        for user_id in data.get("managers", []):
            self.put_user({"id": user_id, "pages": [page_id]})
        self.dirty = True
        return page

    def _seed_page_app(self, page: Page, app_id: str, data: dict[str, Any]) -> None:
        token = data.get("access_token")
        if token:
            self._register_page_token(page, app_id, str(token))
        elif app_id not in page.tokens:
            self.page_token(page, app_id)
        if "subscribed_fields" in data:
            fields_ = [str(name) for name in data["subscribed_fields"]]
            if fields_:
                self.subscribe(page, app_id, fields_)
            else:
                self.unsubscribe(page, app_id)
        elif app_id not in page.subscriptions:
            self.subscribe(page, app_id, list(WEBHOOK_FIELDS))

    def put_buyer(self, data: dict[str, Any]) -> Buyer:
        """Create or update a buyer of a Page."""
        psid = str(data.get("psid") or new_id(16))
        existing = self.buyers.get(psid)
        page_id = str(data.get("page_id") or (existing.page_id if existing else ""))
        if page_id not in self.pages:
            raise KeyError(f"unknown page {page_id!r}")
        buyer = existing or Buyer(psid=psid, page_id=page_id)
        for key in ("first_name", "last_name", "profile_pic", "locale", "timezone", "has_profile"):
            if key in data:
                setattr(buyer, key, data[key])
        if not buyer.profile_pic:
            buyer.profile_pic = (
                f"https://platform-lookaside.fbsbx.com/platform/profilepic/?psid={psid}"
            )
        self.buyers[psid] = buyer
        self.dirty = True
        return buyer

    # Tokens -------------------------------------------------------------------

    def page_token(self, page: Page, app_id: str) -> str:
        """The Page's current token for an app, issuing one if it has none."""
        token = page.tokens.get(app_id)
        if token is None or not self.tokens[token].valid:
            token = new_token()
            self._register_page_token(page, app_id, token)
        return token

    def _register_page_token(self, page: Page, app_id: str, value: str) -> None:
        self.tokens[value] = Token(
            value=value,
            kind="page",
            app_id=app_id,
            page_id=page.id,
            scopes=list(PAGE_SCOPES),
            issued_at=self.now_s(),
        )
        page.tokens[app_id] = value
        if page.app_id is None:
            page.app_id = app_id
        self.dirty = True

    def rotate_page_token(self, page: Page, app_id: str, *, reissue: bool) -> str | None:
        """Invalidate the Page's token for an app; issue a new one when `reissue`."""
        old = page.tokens.get(app_id)
        if old is not None:
            self.tokens[old].valid = False
        self.dirty = True
        if not reissue:
            return None
        page.tokens.pop(app_id, None)
        return self.page_token(page, app_id)

    def user_token(self, user: User, app_id: str, scopes: list[str], ttl_s: int) -> Token:
        """Issue a user token that expires after `ttl_s` seconds."""
        now = self.now_s()
        token = Token(
            value=new_token("EAAU"),
            kind="user",
            app_id=app_id,
            user_id=user.id,
            scopes=scopes,
            issued_at=now,
            expires_at=now + ttl_s,
        )
        self.tokens[token.value] = token
        self.dirty = True
        return token

    # Subscriptions --------------------------------------------------------------

    def subscribe(self, page: Page, app_id: str, fields_: list[str]) -> None:
        """Subscribe an app to a Page's webhook fields."""
        page.subscriptions[app_id] = list(dict.fromkeys(fields_))
        self.dirty = True

    def unsubscribe(self, page: Page, app_id: str) -> None:
        """Stop an app's webhooks for a Page."""
        page.subscriptions.pop(app_id, None)
        self.dirty = True

    # Threads ------------------------------------------------------------------

    def thread(self, page_id: str, psid: str) -> Thread:
        """The thread between a Page and a buyer, created on first use."""
        key = (page_id, psid)
        thread = self.threads.get(key)
        if thread is None:
            page = self.pages[page_id]
            thread = Thread(page_id=page_id, psid=psid, owner_app_id=page.app_id)
            self.threads[key] = thread
        return thread

    def owner(self, thread: Thread) -> str | None:
        """The app controlling the thread (the Page's primary app by default)."""
        return thread.owner_app_id or self.pages[thread.page_id].app_id

    def record_send(self, thread: Thread, item: Item) -> None:
        """Log an accepted Send API call for the operator's counters."""
        self.sent_total += 1
        self.sent.append(SentRecord(self.sent_total, thread.page_id, thread.psid, item))
        self.sent_by_page[thread.page_id] = self.sent_by_page.get(thread.page_id, 0) + 1
        self.dirty = True

    def reset_sent(self) -> None:
        """Forget the log of accepted sends (threads keep their items)."""
        self.sent.clear()
        self.sent_total = 0
        self.sent_by_page.clear()

    def clear(self) -> None:
        """Forget everything but the config."""
        for registry in (self.apps, self.users, self.pages, self.buyers, self.tokens):
            registry.clear()
        self.threads.clear()
        self.comments.clear()
        self.codes.clear()
        self.reset_sent()
        self.dirty = True


def is_page_inbox(app_id: str | None) -> bool:
    """Whether an app id is Meta's Page Inbox."""
    return app_id == PAGE_INBOX_APP_ID
