"""Numbers the dashboard counts itself from negotiation's conversation lists: conversations by
state and deals agreed, per Page. The analytics service's reports belong beside them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.adapters.negotiation import NegotiationClient
from parley_gateway.dashboard.html import Html, bars, fmt, join, table
from parley_gateway.dashboard.money import money

# The most recent conversations counted per Page: one call each, whatever the Page's size.
SAMPLE = 500
STATES = (
    (npb.CONVERSATION_STATE_BOT, "bot", "With the bot"),
    (npb.CONVERSATION_STATE_HUMAN, "human", "With a person"),
    (npb.CONVERSATION_STATE_PAUSED, "paused", "Paused"),
    (npb.CONVERSATION_STATE_CLOSED, "closed", "Closed"),
)


@dataclass
class PageNumbers:
    """A Page's conversations counted by state, and its deals."""

    page: pb.Page
    by_state: Counter[int] = field(default_factory=Counter)
    deals: int = 0
    agreed: Counter[str] = field(default_factory=Counter)
    complete: bool = True

    @property
    def total(self) -> int:
        """Conversations counted."""
        return sum(self.by_state.values())


async def page_numbers(negotiation: NegotiationClient, page: pb.Page) -> PageNumbers:
    """Count the Page's most recent conversations (at most SAMPLE of them)."""
    found, more = await negotiation.conversations(page.page_id, page_size=SAMPLE)
    numbers = PageNumbers(page, complete=not more)
    for conversation in found:
        if conversation.seller_id != page.seller_id:
            continue
        numbers.by_state[conversation.state] += 1
        if conversation.agreed_price_minor > 0:
            numbers.deals += 1
            numbers.agreed[conversation.currency] += conversation.agreed_price_minor
    return numbers


def _agreed(numbers: PageNumbers) -> str:
    return ", ".join(money(v, c) for c, v in sorted(numbers.agreed.items())) or "-"


def numbers_section(all_numbers: list[PageNumbers]) -> Html:
    """The chart of all Pages' conversations by state, and a table per Page."""
    if not all_numbers:
        return Html("")
    totals: Counter[int] = Counter()
    for numbers in all_numbers:
        totals.update(numbers.by_state)
    chart = bars([(label, totals[state]) for state, _, label in STATES])
    headers = ("Page", *(label for _, _, label in STATES), "Deals agreed", "Agreed value")
    rows = [
        (
            fmt('<a href="/dashboard/pages/{}">{}</a>', n.page.page_id, n.page.name),
            *(n.by_state[state] for state, _, _ in STATES),
            n.deals,
            _agreed(n),
        )
        for n in all_numbers
    ]
    partial = [n.page.name for n in all_numbers if not n.complete]
    note = fmt(
        '<p class="muted">Counted over the {} most recent conversations of: {}.</p>',
        SAMPLE,
        ", ".join(partial),
    )
    return fmt(
        "<section><h2>Conversations</h2>{}{}{}</section>",
        chart,
        table(headers, rows, "No conversations yet."),
        note if partial else Html(""),
    )


def state_links(page_id: str, chosen: str) -> Html:
    """Links filtering a Page's conversations by state."""
    options = (("", "All"), *((name, label) for _, name, label in STATES))
    items = [
        fmt("<strong>{}</strong>", label)
        if name == chosen
        else fmt('<a href="/dashboard/pages/{}?state={}">{}</a>', page_id, name, label)
        for name, label in options
    ]
    return join(items, " · ")
