"""A conversation as the seller sees it: transcript, negotiation, messaging window, thread owner,
and what the seller can do about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from parley.delivery.v1 import delivery_pb2 as dpb
from parley.events.v1 import delivery_pb2 as epb
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.dashboard.html import (
    Html,
    fmt,
    hidden,
    join,
    link,
    notice,
    pairs,
    post_form,
    text_area,
    when,
)
from parley_gateway.dashboard.money import money

STATE_NAMES = {
    npb.CONVERSATION_STATE_BOT: "With the bot",
    npb.CONVERSATION_STATE_HUMAN: "With a person, the bot is silent",
    npb.CONVERSATION_STATE_PAUSED: "Paused, the bot is silent",
    npb.CONVERSATION_STATE_CLOSED: "Closed",
}
# A person may reply from the dashboard once the bot is silent.
REPLY_STATES = frozenset({npb.CONVERSATION_STATE_HUMAN, npb.CONVERSATION_STATE_PAUSED})
_OUTCOMES = {
    epb.REPLY_OUTCOME_SENT: "sent",
    epb.REPLY_OUTCOME_REFUSED: "not sent: outside Messenger's window",
    epb.REPLY_OUTCOME_HANDED_OVER: "not sent: another app has the conversation",
    epb.REPLY_OUTCOME_RECIPIENT_UNAVAILABLE: "not sent: the buyer cannot be reached",
    epb.REPLY_OUTCOME_REJECTED: "not sent: Facebook refused it",
    epb.REPLY_OUTCOME_EXPIRED: "not sent: gave up",
}
FLASH = {
    "takeover": "You have the conversation now: the bot is silent until you resume it.",
    "resume": "The bot answers this buyer again (it told the buyer it is an assistant).",
    "sent": "Your reply was sent.",
    "sent_tagged": (
        "Your reply was sent with Messenger's HUMAN_AGENT tag (the buyer last wrote more than "
        "24 hours ago)."
    ),
}


@dataclass(frozen=True)
class ConversationView:
    """Everything the conversation page shows."""

    conversation: npb.Conversation
    page: pb.Page
    window: dpb.GetWindowStatusResponse
    owner: str
    human_replies: list[dpb.OutboundReply]
    listing: pb.Listing | None


@dataclass(frozen=True)
class Draft:
    """The reply form as it was sent back, with what went wrong."""

    text: str = ""
    key: str = ""
    error: str = ""


def stamp(value: Timestamp) -> datetime:
    """A protobuf timestamp as an aware datetime."""
    return value.ToDatetime(tzinfo=UTC)


def moment(value: datetime) -> str:
    """A moment as pages show it."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def remaining(until: datetime, now: datetime) -> str:
    """How long until `until`, roughly: "2 d 5 h", "5 h 12 min", "12 min"."""
    seconds = int((until - now).total_seconds())
    if seconds <= 0:
        return "closed"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "less than a minute"


def _price(minor: int, currency: str) -> str:
    return money(minor, currency) if minor else "-"


def _negotiation(c: npb.Conversation) -> Html:
    counters = ", ".join(money(v, c.currency) for v in c.counters_minor) or "-"
    rows: list[tuple[object, object]] = [
        ("Asking price", _price(c.asking_minor, c.currency)),
        ("Buyer's last offer", _price(c.last_offer_minor, c.currency)),
        ("Current counter-offer", _price(c.last_counter_minor, c.currency)),
        ("Counter-offers so far", counters),
        ("Concessions used", f"{c.concessions_used} of {c.max_concessions}"),
        ("Final price said", _price(c.final_price_minor, c.currency)),
        ("Agreed price", _price(c.agreed_price_minor, c.currency)),
        ("Viewing", moment(stamp(c.viewing_at)) if c.HasField("viewing_at") else "-"),
        ("Buyer's language", c.language or "-"),
    ]
    return fmt("<section><h2>Negotiation</h2>{}</section>", pairs(rows))


def _until(closes: datetime | None, now: datetime) -> str:
    if closes is None:
        return "-"
    left = remaining(closes, now)
    return (
        f"{left} left (until {moment(closes)})" if left != "closed" else f"closed {moment(closes)}"
    )


def _window(window: dpb.GetWindowStatusResponse, now: datetime) -> Html:
    state = {
        dpb.WINDOW_STATE_OPEN: "Open: the bot and you may reply",
        dpb.WINDOW_STATE_HUMAN_AGENT_ONLY: "Only a person may reply (HUMAN_AGENT tag)",
        dpb.WINDOW_STATE_CLOSED: "Closed: Messenger allows no reply until the buyer writes again",
    }.get(window.state, "Unknown")
    last = window.last_buyer_action_at
    bot_closes = (
        stamp(window.bot_window_closes_at) if window.HasField("bot_window_closes_at") else None
    )
    human_closes = (
        stamp(window.human_window_closes_at) if window.HasField("human_window_closes_at") else None
    )
    rows: list[tuple[object, object]] = [
        ("Now", state),
        (
            "Buyer's last action",
            moment(stamp(last)) if window.HasField("last_buyer_action_at") else "never",
        ),
        ("Bot may reply (24 hours)", _until(bot_closes, now)),
        ("A person may reply (7 days)", _until(human_closes, now)),
    ]
    if window.page_blocked:
        rows.append(("Page", "Meta blocked this Page from messaging: nothing can be sent"))
    return fmt("<section><h2>Messaging window</h2>{}</section>", pairs(rows))


def _summary(view: ConversationView) -> Html:
    c = view.conversation
    listing = (
        link(f"/dashboard/listings/{view.listing.listing_id}", view.listing.title)
        if view.listing
        else Html("-")
    )
    reason = f": {c.state_reason}" if c.state_reason else ""
    rows: list[tuple[object, object]] = [
        ("Buyer", c.buyer_id),
        ("Page", link(f"/dashboard/pages/{view.page.page_id}", view.page.name)),
        ("Listing", listing),
        ("Who answers", STATE_NAMES.get(c.state, "Unknown") + reason),
        ("Thread owner on Messenger", view.owner),
    ]
    if c.scam_flag:
        rows.append(("Flagged as a possible scam", c.scam_flag))
    return pairs(rows)


def _actions(c: npb.Conversation, csrf: str) -> Html:
    base = f"/dashboard/conversations/{c.conversation_id}"
    take = post_form(f"{base}/takeover", csrf, Html(""), "Take over", "inline")
    resume = post_form(f"{base}/resume", csrf, Html(""), "Hand back to the bot", "inline")
    return fmt(
        "<p>{}{}</p>",
        when(c.state != npb.CONVERSATION_STATE_HUMAN, take),
        when(c.state in REPLY_STATES, resume),
    )


def _reply_form(view: ConversationView, csrf: str, draft: Draft, new_key: str) -> Html:
    c = view.conversation
    if c.state not in REPLY_STATES:
        return notice("Take the conversation over to reply to the buyer yourself.")
    if view.window.state == dpb.WINDOW_STATE_CLOSED and not draft.error:
        return notice(
            "Messenger allows no reply: the buyer last wrote more than 7 days ago (or never)."
        )
    body = fmt(
        "{}{}",
        hidden("key", draft.key or new_key),
        text_area("text", "Your reply", draft.text, hint="Sent from the Page as you write it."),
    )
    action = f"/dashboard/conversations/{c.conversation_id}/reply"
    return fmt("<section><h2>Reply</h2>{}</section>", post_form(action, csrf, body, "Send"))


def _lines(view: ConversationView) -> list[tuple[datetime, str, str, str]]:
    lines = [
        (stamp(line.at), line.author or "buyer", line.text, line.decision)
        for line in view.conversation.transcript
    ]
    for reply in view.human_replies:
        outcome = _OUTCOMES.get(reply.outcome, "sending")
        if reply.outcome == epb.REPLY_OUTCOME_SENT and reply.tag:
            outcome = f"sent with the {reply.tag} tag"
        lines.append(
            (stamp(reply.decided_at), "human", reply.text, f"from the dashboard, {outcome}")
        )
    return sorted(lines, key=lambda line: line[0])


def _transcript(view: ConversationView) -> Html:
    who = {"buyer": "Buyer", "bot": "Parley", "human": "You"}
    items = join(
        fmt(
            '<div class="line {}"><small>{} · {}{}</small>{}</div>',
            author if author in who else "buyer",
            who.get(author, author),
            moment(at),
            f" · {note}" if note else "",
            text,
        )
        for at, author, text, note in _lines(view)
    )
    return fmt("<section><h2>Transcript</h2>{}</section>", items or Html("<p>No messages.</p>"))


def conversation_body(
    view: ConversationView, *, csrf: str, now: datetime, flash: str, draft: Draft, new_key: str
) -> Html:
    """The whole conversation page."""
    message = FLASH.get(flash)
    return fmt(
        "{}{}{}{}{}{}{}{}",
        notice(message, "ok") if message else Html(""),
        notice(draft.error, "error") if draft.error else Html(""),
        _summary(view),
        _actions(view.conversation, csrf),
        _reply_form(view, csrf, draft, new_key),
        _transcript(view),
        _negotiation(view.conversation),
        _window(view.window, now),
    )
