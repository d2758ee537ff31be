"""A fixed set of events from every stream, counted by hand (see EXPECTED in the tests).

Seller S1 has Pages P1 (listing L1) and P2 (L2); seller S2 has Page P3 (L3). Times are UTC on
30 November 2026 (day 1) and 1 December (day 2):

- C1 (P1, L1, buyer B1): starts 10:05; offers 85,000 at 10:10 (countered, escrow offered) and
  90,000 at 10:20, accepted at 90,000 (asking 100,000, floor 80,000). Replies 2 s, 4 s, 1 s
  after the buyer.
- C2 (P1, L1, B2): starts 10:30 with an offer of 70,000, reply after 8 s; asks for a person at
  10:40 (handover, reply after 3 s, state human); a person replies at 10:45 (no seller named,
  answers no buyer message).
- C3 (P2, L2, B3): starts 11:15 with 45,000, accepted (asking 50,000, floor 40,000), reply after
  30 s; a reply at 11:20 is refused by policy (bot window closed).
- C4 (P3, L3, B4): starts 10:50, its first reply is rejected by Meta (10:50:05); a scam is
  flagged at 10:55 (reply after 6 s) and the conversation goes to a human.
- C5 (P3, L3, B5): day 2, 09:00, offer 190,000 accepted (asking 200,000, floor 150,000), reply
  after 5 s; a later reply is superseded (not a failure).
- Buyer messages for each turn, and a read receipt on P1 (not a message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message

from parley.events.v1 import delivery_pb2, inbound_pb2, negotiation_pb2, replies_pb2, tenants_pb2
from parley_analytics.domain.facts import Source

DAY1 = datetime(2026, 11, 30, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
S1, S2 = "seller-1", "seller-2"
P1, P2, P3 = "100000000000001", "100000000000002", "100000000000003"
L1, L2, L3 = "listing-1", "listing-2", "listing-3"
PAGES = {P1: (S1, L1), P2: (S1, L2), P3: (S2, L3)}
ASKING = {L1: (100_000, 80_000), L2: (50_000, 40_000), L3: (200_000, 150_000)}


@dataclass(frozen=True)
class Published:
    """One event as it goes on the bus."""

    source: Source
    subject: str
    event: Message


def t(hour: int, minute: int, second: float = 0, day: datetime = DAY1) -> datetime:
    return day + timedelta(hours=hour, minutes=minute, seconds=second)


def _conversation(page: str, buyer: str) -> str:
    return f"{page}-{buyer}"


class Scenario:
    """Builds the events, numbering their ids."""

    def __init__(self) -> None:
        self.seq = 0
        self.events: list[Published] = []

    def _id(self, kind: str) -> str:
        self.seq += 1
        return f"{kind}-{self.seq}"

    def message(self, page: str, buyer: str, at: datetime) -> None:
        event = inbound_pb2.InboundEvent(
            event_id=self._id("message"),
            page_id=page,
            sender_id=buyer,
            message=inbound_pb2.MessageReceived(mid=f"m-{self.seq}", text="..."),
        )
        event.occurred_at.FromDatetime(at)
        self.events.append(Published(Source.INBOUND, f"{page}.message", event))

    def read(self, page: str, buyer: str, at: datetime) -> None:
        event = inbound_pb2.InboundEvent(
            event_id=self._id("read"),
            page_id=page,
            sender_id=buyer,
            read=inbound_pb2.MessagesRead(),
        )
        event.occurred_at.FromDatetime(at)
        self.events.append(Published(Source.INBOUND, f"{page}.read", event))

    def turn(
        self,
        page: str,
        buyer: str,
        at: datetime,
        action: str,
        *,
        started: bool = False,
        offer: int | None = None,
        price: int | None = None,
        scam: str = "",
        escrow: bool = False,
    ) -> negotiation_pb2.TurnDecided:
        seller, listing = PAGES[page]
        asking, floor = ASKING[listing]
        event = negotiation_pb2.TurnDecided(
            event_id=self._id("turn"),
            page_id=page,
            seller_id=seller,
            conversation_id=_conversation(page, buyer),
            listing_id=listing,
            in_reply_to_event_id=f"in-{self.seq}",
            conversation_started=started,
            intent="offer" if offer else "greeting",
            action=action,
            currency="USD",
            asking_minor=asking,
            floor_minor=floor,
            scam_flag=scam,
            escrow_offered=escrow,
        )
        event.buyer_at.FromDatetime(at)
        event.decided_at.FromDatetime(at + timedelta(milliseconds=40))
        if offer is not None:
            event.offer_minor = offer
        if price is not None:
            event.price_minor = price
        self.events.append(Published(Source.NEGOTIATION, f"{page}.turn_decided", event))
        return event

    def human(self, page: str, buyer: str, at: datetime) -> None:
        seller, listing = PAGES[page]
        event = negotiation_pb2.ConversationStateChanged(
            event_id=self._id("state"),
            page_id=page,
            seller_id=seller,
            conversation_id=_conversation(page, buyer),
            listing_id=listing,
            state="human",
            previous_state="bot",
            reason="the buyer asked for a person",
        )
        event.occurred_at.FromDatetime(at)
        self.events.append(
            Published(Source.NEGOTIATION, f"{page}.conversation_state_changed", event)
        )

    def _header(
        self, page: str, buyer: str, answered: datetime | None, *, named: bool = True
    ) -> delivery_pb2.ReplyHeader:
        author = replies_pb2.REPLY_AUTHOR_BOT if answered else replies_pb2.REPLY_AUTHOR_HUMAN
        header = delivery_pb2.ReplyHeader(
            idempotency_key=f"key-{self.seq}",
            page_id=page,
            recipient_id=buyer,
            conversation_id=_conversation(page, buyer),
            seller_id=PAGES[page][0] if named else "",
            author=author,
        )
        if answered is not None:
            header.in_reply_to_at.FromDatetime(answered)
            header.decided_at.FromDatetime(answered + timedelta(milliseconds=40))
        return header

    def sent(
        self, page: str, buyer: str, at: datetime, answered: datetime | None, named: bool = True
    ) -> delivery_pb2.ReplySent:
        event = delivery_pb2.ReplySent(
            event_id=self._id("sent"), reply=self._header(page, buyer, answered, named=named)
        )
        event.sent_at.FromDatetime(at)
        event.occurred_at.FromDatetime(at)
        self.events.append(Published(Source.DELIVERY, f"{page}.reply_sent", event))
        return event

    def refused(self, page: str, buyer: str, at: datetime, rule: int) -> None:
        event = delivery_pb2.ReplyRefused(
            event_id=self._id("refused"), reply=self._header(page, buyer, at), rule=rule
        )
        event.occurred_at.FromDatetime(at)
        self.events.append(Published(Source.DELIVERY, f"{page}.reply_refused", event))

    def dropped(self, page: str, buyer: str, at: datetime, outcome: int) -> None:
        event = delivery_pb2.ReplyDropped(
            event_id=self._id("dropped"), reply=self._header(page, buyer, at), outcome=outcome
        )
        event.occurred_at.FromDatetime(at)
        self.events.append(Published(Source.DELIVERY, f"{page}.reply_dropped", event))

    def page_connected(self, page: str) -> None:
        event = tenants_pb2.PageConnected(
            event_id=self._id("page"), seller_id=PAGES[page][0], page_id=page, page_name="Shop"
        )
        event.occurred_at.FromDatetime(DAY1)
        self.events.append(Published(Source.TENANTS, "page_connected", event))


def build() -> Scenario:
    """The whole event set."""
    s = Scenario()
    for page in PAGES:
        s.page_connected(page)
    _c1(s)
    _c2(s)
    _c3(s)
    _c4(s)
    _c5(s)
    s.read(P1, "b1", t(10, 21))
    return s


def _c1(s: Scenario) -> None:
    for minute, action, offer, price, escrow in (
        (5, "answer", None, None, False),
        (10, "counter", 85_000, 95_000, True),
        (20, "accept", 90_000, 90_000, False),
    ):
        s.message(P1, "b1", t(10, minute))
        s.turn(
            P1,
            "b1",
            t(10, minute),
            action,
            started=minute == 5,
            offer=offer,
            price=price,
            escrow=escrow,
        )
    for minute, after in ((5, 2), (10, 4), (20, 1)):
        s.sent(P1, "b1", t(10, minute, after), t(10, minute))


def _c2(s: Scenario) -> None:
    s.message(P1, "b2", t(10, 30))
    s.turn(P1, "b2", t(10, 30), "counter", started=True, offer=70_000, price=95_000)
    s.sent(P1, "b2", t(10, 30, 8), t(10, 30))
    s.message(P1, "b2", t(10, 40))
    s.turn(P1, "b2", t(10, 40), "handover")
    s.human(P1, "b2", t(10, 40, 1))
    s.sent(P1, "b2", t(10, 40, 3), t(10, 40))
    s.sent(P1, "b2", t(10, 45), None, named=False)


def _c3(s: Scenario) -> None:
    s.message(P2, "b3", t(11, 15))
    s.turn(P2, "b3", t(11, 15), "accept", started=True, offer=45_000, price=45_000)
    s.sent(P2, "b3", t(11, 15, 30), t(11, 15))
    s.message(P2, "b3", t(11, 20))
    s.turn(P2, "b3", t(11, 20), "answer")
    s.refused(P2, "b3", t(11, 20, 1), delivery_pb2.POLICY_RULE_BOT_WINDOW_CLOSED)


def _c4(s: Scenario) -> None:
    s.message(P3, "b4", t(10, 50))
    s.turn(P3, "b4", t(10, 50), "answer", started=True)
    s.dropped(P3, "b4", t(10, 50, 5), delivery_pb2.REPLY_OUTCOME_REJECTED)
    s.message(P3, "b4", t(10, 55))
    s.turn(P3, "b4", t(10, 55), "flag", scam="overpayment")
    s.human(P3, "b4", t(10, 55, 1))
    s.sent(P3, "b4", t(10, 55, 6), t(10, 55))


def _c5(s: Scenario) -> None:
    s.message(P3, "b5", t(9, 0, day=DAY2))
    s.turn(P3, "b5", t(9, 0, day=DAY2), "accept", started=True, offer=190_000, price=190_000)
    s.sent(P3, "b5", t(9, 0, 5, day=DAY2), t(9, 0, day=DAY2))
    s.dropped(P3, "b5", t(9, 1, day=DAY2), delivery_pb2.REPLY_OUTCOME_SUPERSEDED)
