"""A Page's Messenger profile (Get Started, greeting, ice breakers, persistent menu), built from
the seller's settings within the Messenger Profile API's limits (MESSENGER.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

GREETING_MAX = 160
ICE_BREAKERS_MAX = 4
MENU_ITEMS_MAX = 20
MENU_TITLE_MAX = 30
PAYLOAD_MAX = 1000
DEFAULT_LOCALE = "default"
# Messenger locales of the languages Parley answers in.
LOCALES = {"en": "en_US", "th": "th_TH"}
# parley_kit.payloads values (the domain imports only the standard library; a unit test checks
# that both agree).
GET_STARTED = "GET_STARTED"
VIEW_DETAILS = "VIEW_DETAILS"
BOOK_VIEWING = "BOOK_VIEWING"
MAKE_OFFER = "MAKE_OFFER"
TALK_TO_PERSON = "TALK_TO_PERSON"

_GREETING = {
    "en": "Hi {{user_first_name}}! Thanks for writing to {page}. Ask about anything we sell.",
    "th": "สวัสดีค่ะ คุณ{{user_first_name}} ขอบคุณที่ติดต่อ {page} สอบถามสินค้าได้เลยค่ะ",
}
# payload -> (ice breaker question, menu title) per language
_ACTIONS = {
    "en": {
        VIEW_DETAILS: ("Is this still available?", "See the details"),
        MAKE_OFFER: ("Can I make an offer?", "Make an offer"),
        BOOK_VIEWING: ("Can I come and see it?", "Book a viewing"),
        TALK_TO_PERSON: ("Can I talk to a person?", "Talk to a person"),
    },
    "th": {
        VIEW_DETAILS: ("สินค้านี้ยังมีอยู่ไหมคะ", "ดูรายละเอียด"),
        MAKE_OFFER: ("ขอต่อราคาได้ไหมคะ", "เสนอราคา"),
        BOOK_VIEWING: ("ขอนัดดูสินค้าได้ไหมคะ", "นัดดูสินค้า"),
        TALK_TO_PERSON: ("ขอคุยกับเจ้าหน้าที่ได้ไหมคะ", "คุยกับเจ้าหน้าที่"),
    },
}


class InvalidProfile(ValueError):
    """The profile breaks one of Meta's limits."""


@dataclass(frozen=True)
class MenuItem:
    """A postback item (payload) or a web_url item (url)."""

    title: str
    payload: str = ""
    url: str = ""


@dataclass(frozen=True)
class IceBreaker:
    """A question offered when a buyer opens a new thread."""

    question: str
    payload: str


@dataclass(frozen=True)
class ProfileSettings:
    """The seller's settings a profile is built from."""

    languages: tuple[str, ...] = ("en",)
    page_name: str = ""
    viewings_enabled: bool = True
    human_takeover_enabled: bool = True
    offers_enabled: bool = True


@dataclass(frozen=True)
class ProfileRequest:
    """What the caller asked for; empty parts are built from the settings."""

    get_started_payload: str = ""
    greetings: tuple[tuple[str, str], ...] = ()  # (locale, text), explicit
    ice_breakers: tuple[IceBreaker, ...] = ()
    menu: tuple[MenuItem, ...] = ()
    settings: ProfileSettings = field(default_factory=ProfileSettings)


def build_profile(request: ProfileRequest) -> dict[str, Any]:
    """The `POST /me/messenger_profile` body (the persistent menu needs Get Started: both set)."""
    languages = _languages(request.settings.languages)
    payloads = _payloads(request.settings)
    profile: dict[str, Any] = {
        "get_started": {"payload": _payload(request.get_started_payload or GET_STARTED)},
        "greeting": _greetings(request, languages),
        "ice_breakers": _ice_breakers(request, languages, payloads),
        "persistent_menu": _menus(request, languages, payloads),
    }
    return profile


def digest(profile: dict[str, Any]) -> str:
    """A stable fingerprint of a profile (to skip applying the same one twice)."""
    canonical = json.dumps(profile, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def locales_of(profile: dict[str, Any]) -> list[str]:
    """The greeting locales of a profile, `default` first."""
    return [str(item["locale"]) for item in profile.get("greeting", [])]


def _languages(languages: tuple[str, ...]) -> list[str]:
    known = [lang for lang in dict.fromkeys(languages) if lang in _ACTIONS]
    return known or ["en"]


def _locale(index: int, language: str) -> str:
    return DEFAULT_LOCALE if index == 0 else LOCALES[language]


def _payloads(settings: ProfileSettings) -> list[str]:
    wanted = [
        (VIEW_DETAILS, True),
        (MAKE_OFFER, settings.offers_enabled),
        (BOOK_VIEWING, settings.viewings_enabled),
        (TALK_TO_PERSON, settings.human_takeover_enabled),
    ]
    return [payload for payload, enabled in wanted if enabled]


def _greetings(request: ProfileRequest, languages: list[str]) -> list[dict[str, str]]:
    if request.greetings:
        given = dict(request.greetings)
        if DEFAULT_LOCALE not in given:
            raise InvalidProfile("greetings must include the `default` locale")
        ordered = [(DEFAULT_LOCALE, given.pop(DEFAULT_LOCALE)), *given.items()]
        return [{"locale": loc, "text": _greeting_text(text)} for loc, text in ordered]
    name = request.settings.page_name.strip() or "us"
    return [
        {"locale": _locale(i, lang), "text": _built_greeting(_GREETING[lang], name)}
        for i, lang in enumerate(languages)
    ]


def _built_greeting(template: str, name: str) -> str:
    room = GREETING_MAX - len(template.replace("{page}", ""))
    if len(name) > room:
        name = name[: max(1, room - 1)].rstrip() + "…"
    return template.replace("{page}", name)


def _greeting_text(text: str) -> str:
    if not text.strip() or len(text) > GREETING_MAX:
        raise InvalidProfile(f"a greeting needs 1 to {GREETING_MAX} characters")
    return text


def _ice_breakers(
    request: ProfileRequest, languages: list[str], payloads: list[str]
) -> list[dict[str, Any]]:
    if request.ice_breakers:
        if len(request.ice_breakers) > ICE_BREAKERS_MAX:
            raise InvalidProfile(f"at most {ICE_BREAKERS_MAX} ice breakers")
        actions = [_question(item.question, item.payload) for item in request.ice_breakers]
        return [{"locale": DEFAULT_LOCALE, "call_to_actions": actions}]
    return [
        {
            "locale": _locale(i, lang),
            "call_to_actions": [
                _question(_ACTIONS[lang][payload][0], payload)
                for payload in payloads[:ICE_BREAKERS_MAX]
            ],
        }
        for i, lang in enumerate(languages)
    ]


def _question(question: str, payload: str) -> dict[str, str]:
    if not question.strip():
        raise InvalidProfile("an ice breaker needs a question")
    return {"question": question, "payload": _payload(payload)}


def _menus(
    request: ProfileRequest, languages: list[str], payloads: list[str]
) -> list[dict[str, Any]]:
    if request.menu:
        if len(request.menu) > MENU_ITEMS_MAX:
            raise InvalidProfile(f"at most {MENU_ITEMS_MAX} menu items")
        items = [_menu_item(item) for item in request.menu]
        return [_menu_block(DEFAULT_LOCALE, items)]
    return [
        _menu_block(
            _locale(i, lang),
            [_menu_item(MenuItem(_ACTIONS[lang][p][1], payload=p)) for p in payloads],
        )
        for i, lang in enumerate(languages)
    ]


def _menu_block(locale: str, items: list[dict[str, str]]) -> dict[str, Any]:
    return {"locale": locale, "composer_input_disabled": False, "call_to_actions": items}


def _menu_item(item: MenuItem) -> dict[str, str]:
    if not item.title.strip() or len(item.title) > MENU_TITLE_MAX:
        raise InvalidProfile(f"a menu title needs 1 to {MENU_TITLE_MAX} characters")
    if item.url:
        if not item.url.startswith("https://"):
            raise InvalidProfile("a menu link must be an https URL")
        return {"type": "web_url", "title": item.title, "url": item.url}
    return {"type": "postback", "title": item.title, "payload": _payload(item.payload)}


def _payload(payload: str) -> str:
    if not payload or len(payload) > PAYLOAD_MAX:
        raise InvalidProfile(f"a payload needs 1 to {PAYLOAD_MAX} characters")
    return payload
