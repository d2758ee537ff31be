"""Messenger Profile API limits from MESSENGER.md: pure checks raising code 100."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from parley_emulator.errors import param_error, too_long, too_many
from parley_emulator.limits import PAYLOAD_MAX

GREETING_MAX = 160
ICE_BREAKERS_MAX = 4
MENU_ITEMS_MAX = 20
MENU_TITLE_MAX = 30
DOMAINS_MAX = 50
PROFILE_FIELDS = (
    "get_started",
    "greeting",
    "ice_breakers",
    "persistent_menu",
    "whitelisted_domains",
)


def validate_profile_update(
    update: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, Any]:
    """Check a `POST /me/messenger_profile` body; return the fields it sets."""
    fields = {name: value for name, value in update.items() if name in PROFILE_FIELDS}
    if not fields:
        raise param_error(f"Requires one of the params: {', '.join(PROFILE_FIELDS)}")
    checks = {
        "get_started": _get_started,
        "greeting": _greeting,
        "ice_breakers": _ice_breakers,
        "persistent_menu": _persistent_menu,
        "whitelisted_domains": _whitelisted_domains,
    }
    for name, value in fields.items():
        checks[name](value)
    if "persistent_menu" in fields and not (
        fields.get("get_started") or current.get("get_started")
    ):
        raise param_error(
            "You must set a Get Started button if you also wish to use persistent menu."
        )
    return fields


def validate_profile_delete(fields: object, current: Mapping[str, Any]) -> list[str]:
    """Check a `DELETE /me/messenger_profile` body's `fields`; return the names to delete."""
    if isinstance(fields, str):
        fields = [name.strip() for name in fields.split(",") if name.strip()]
    if not isinstance(fields, list) or not fields:
        raise param_error("The parameter fields is required")
    names = [str(name) for name in fields]
    unknown = [name for name in names if name not in PROFILE_FIELDS]
    if unknown:
        raise param_error(f"Unsupported field(s): {', '.join(unknown)}")
    if "get_started" in names and current.get("persistent_menu") and "persistent_menu" not in names:
        raise param_error("Cannot delete get_started while a persistent menu is set.")
    return names


def _get_started(value: object) -> None:
    if not isinstance(value, Mapping):
        raise param_error("param get_started must be an object with a payload")
    payload = value.get("payload")
    if not isinstance(payload, str) or not payload:
        raise param_error("param get_started[payload] is required")
    if len(payload) > PAYLOAD_MAX:
        raise too_long("get_started[payload]", PAYLOAD_MAX)


def _greeting(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise param_error("param greeting must be a non-empty list")
    locales = set()
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            raise param_error(f"param greeting[{index}] needs locale and text")
        if len(item["text"]) > GREETING_MAX:
            raise too_long(f"greeting[{index}][text]", GREETING_MAX)
        locales.add(item.get("locale"))
    if "default" not in locales:
        raise param_error("param greeting must include the default locale")


def _ice_breakers(value: object) -> None:
    if not isinstance(value, list):
        raise param_error("param ice_breakers must be a list")
    # Two shapes are live: a flat list of {question, payload}, or per-locale
    # {locale, call_to_actions: [...]} blocks; the limit applies per locale.
    if all(isinstance(item, Mapping) and "call_to_actions" in item for item in value):
        for index, block in enumerate(value):
            _questions(block["call_to_actions"], f"ice_breakers[{index}][call_to_actions]")
    else:
        _questions(value, "ice_breakers")


def _questions(questions: object, where: str) -> None:
    if not isinstance(questions, list) or not questions:
        raise param_error(f"param {where} must be a non-empty list")
    if len(questions) > ICE_BREAKERS_MAX:
        raise too_many(where, ICE_BREAKERS_MAX)
    for index, item in enumerate(questions):
        if not isinstance(item, Mapping) or not item.get("question"):
            raise param_error(f"param {where}[{index}][question] is required")


def _persistent_menu(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise param_error("param persistent_menu must be a non-empty list")
    for index, block in enumerate(value):
        where = f"persistent_menu[{index}]"
        if not isinstance(block, Mapping):
            raise param_error(f"param {where} must be an object")
        actions = block.get("call_to_actions", [])
        if not isinstance(actions, list):
            raise param_error(f"param {where}[call_to_actions] must be a list")
        if len(actions) > MENU_ITEMS_MAX:
            raise too_many(f"{where}[call_to_actions]", MENU_ITEMS_MAX)
        for position, action in enumerate(actions):
            _menu_item(action, f"{where}[call_to_actions][{position}]")


def _menu_item(item: object, where: str) -> None:
    if not isinstance(item, Mapping):
        raise param_error(f"param {where} must be an object")
    title = item.get("title")
    if not isinstance(title, str) or not title:
        raise param_error(f"param {where}[title] is required")
    if len(title) > MENU_TITLE_MAX:
        raise too_long(f"{where}[title]", MENU_TITLE_MAX)
    kind = item.get("type")
    if kind == "web_url":
        if not item.get("url"):
            raise param_error(f"param {where}[url] is required")
    elif kind == "postback":
        payload = item.get("payload")
        if not isinstance(payload, str) or not payload or len(payload) > PAYLOAD_MAX:
            raise param_error(f"param {where}[payload] is required (at most {PAYLOAD_MAX})")
    else:
        raise param_error(f"param {where}[type] must be web_url or postback")


def _whitelisted_domains(value: object) -> None:
    if not isinstance(value, list):
        raise param_error("param whitelisted_domains must be a list")
    if len(value) > DOMAINS_MAX:
        raise too_many("whitelisted_domains", DOMAINS_MAX)
    for index, domain in enumerate(value):
        if not isinstance(domain, str) or urlsplit(domain).scheme != "https":
            raise param_error(f"param whitelisted_domains[{index}] must be an https URL")
