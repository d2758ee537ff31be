"""Postback and quick-reply payloads Parley sends and understands.

Delivery puts them on the Page's Get Started button, persistent menu and ice breakers;
negotiation answers them. One list, so both sides always agree.
"""

from __future__ import annotations

GET_STARTED = "GET_STARTED"
VIEW_DETAILS = "VIEW_DETAILS"
MAKE_OFFER = "MAKE_OFFER"
BOOK_VIEWING = "BOOK_VIEWING"
TALK_TO_PERSON = "TALK_TO_PERSON"
# Quick replies that carry a value: `SLOT:<ISO local datetime>`, `ACCEPT:<amount>`.
SLOT_PREFIX = "SLOT:"
ACCEPT_PREFIX = "ACCEPT:"
# A quick reply that declines the last counter.
DECLINE = "DECLINE"

MENU = (VIEW_DETAILS, BOOK_VIEWING, MAKE_OFFER, TALK_TO_PERSON)
