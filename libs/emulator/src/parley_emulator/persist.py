"""Seed and state files: one JSON format (the state file adds tokens, threads, comments)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any

from parley_emulator.model import ITEM_FIELDS, Comment, Item, Page, Thread, Token
from parley_emulator.world import World

log = logging.getLogger("parley.emulator.state")
STATE_VERSION = 1


def demo_seed() -> dict[str, Any]:
    """The shipped demo seed (an app, a seller, a Page and two buyers)."""
    text = resources.files("parley_emulator").joinpath("demo_seed.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file; ValueError when it is not one."""
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def load(world: World, data: dict[str, Any]) -> None:
    """Merge a seed or state document into the world."""
    world.config.update(data.get("config", {}))
    for app in data.get("apps", []):
        world.put_app(app)
    for token in data.get("tokens", []):
        world.tokens[token["value"]] = Token(**token)
    for page in data.get("pages", []):
        _load_page(world, page)
    for user in data.get("users", []):
        world.put_user(user)
    for buyer in data.get("buyers", []):
        world.put_buyer(buyer)
    for comment in data.get("comments", []):
        world.comments[comment["id"]] = Comment(**comment)
    for thread in data.get("threads", []):
        _load_thread(world, thread)
    if data.get("login_user_id"):
        world.config.login_user_id = str(data["login_user_id"])


def _load_page(world: World, data: dict[str, Any]) -> None:
    if "tokens" not in data:
        world.put_page(data)
        return
    world.pages[str(data["id"])] = Page(
        id=str(data["id"]),
        name=str(data["name"]),
        app_id=data.get("app_id"),
        tokens=dict(data["tokens"]),
        subscriptions={k: list(v) for k, v in data.get("subscriptions", {}).items()},
        profile=dict(data.get("profile", {})),
        send_rate=data.get("send_rate"),
    )


def _load_thread(world: World, data: dict[str, Any]) -> None:
    thread = Thread(
        page_id=str(data["page_id"]),
        psid=str(data["psid"]),
        owner_app_id=data.get("owner_app_id"),
        last_action_ms=data.get("last_action_ms"),
        delivered_watermark=int(data.get("delivered_watermark", 0)),
        read_watermark=int(data.get("read_watermark", 0)),
    )
    thread.items = [Item(**{k: v for k, v in i.items() if k in ITEM_FIELDS}) for i in data["items"]]
    world.threads[(thread.page_id, thread.psid)] = thread


def dump(world: World) -> dict[str, Any]:
    """The whole world as a state document (loadable as a seed too)."""
    return {
        "version": STATE_VERSION,
        "config": world.config.to_json(),
        "apps": [app.to_json() for app in world.apps.values()],
        "tokens": [token.to_json() for token in world.tokens.values()],
        "pages": [page_json(page) for page in world.pages.values()],
        "users": [user.to_json() for user in world.users.values()],
        "buyers": [buyer.to_json() for buyer in world.buyers.values()],
        "comments": [comment.to_json() for comment in world.comments.values()],
        "threads": [thread_json(thread) for thread in world.threads.values()],
    }


def page_json(page: Page) -> dict[str, Any]:
    """A Page with its tokens, subscriptions and Messenger profile."""
    return {
        "id": page.id,
        "name": page.name,
        "app_id": page.app_id,
        "access_token": page.access_token,
        "tokens": dict(page.tokens),
        "subscriptions": {k: list(v) for k, v in page.subscriptions.items()},
        "profile": dict(page.profile),
        "send_rate": page.send_rate,
    }


def thread_json(thread: Thread) -> dict[str, Any]:
    """A thread with every item."""
    return {
        "page_id": thread.page_id,
        "psid": thread.psid,
        "owner_app_id": thread.owner_app_id,
        "last_action_ms": thread.last_action_ms,
        "delivered_watermark": thread.delivered_watermark,
        "read_watermark": thread.read_watermark,
        "items": [item.to_json() for item in thread.items],
    }


def write_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to a temporary file beside `path`, then rename it over `path`."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    os.replace(temporary, path)


class StateSaver:
    """Saves the world to a file when it changed: every `interval_s` and at shutdown."""

    def __init__(self, world: World, path: Path, interval_s: float) -> None:
        self.world = world
        self.path = path
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin periodic saving."""
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop periodic saving and save one last time."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.save()

    def save(self) -> None:
        """Write the state file now."""
        self.world.dirty = False
        write_atomic(self.path, dump(self.world))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if self.world.dirty:
                self.world.dirty = False
                snapshot = dump(self.world)
                try:
                    await asyncio.to_thread(write_atomic, self.path, snapshot)
                except OSError:
                    log.exception("could not save the state to %s", self.path)
                    self.world.dirty = True
