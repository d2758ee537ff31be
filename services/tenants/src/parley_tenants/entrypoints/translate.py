"""Protobuf to domain values and back: the only place that knows both."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from parley.tenants.v1 import tenants_pb2 as pb
from parley_kit.errors import InvalidArgument
from parley_tenants.domain.model import (
    DeletionRequest,
    DeletionStatus,
    Listing,
    ListingRules,
    ListingStatus,
    Page,
    PageStatus,
    ReplyPace,
    RuleOverrides,
    Seller,
    SellerSettings,
    SellerStatus,
    Vehicle,
    ViewingSlot,
)

PAGE_STATUS = {
    PageStatus.ACTIVE: pb.PAGE_STATUS_ACTIVE,
    PageStatus.PAUSED: pb.PAGE_STATUS_PAUSED,
    PageStatus.NEEDS_RECONNECT: pb.PAGE_STATUS_NEEDS_RECONNECT,
}
SELLER_STATUS = {
    SellerStatus.ACTIVE: pb.SELLER_STATUS_ACTIVE,
    SellerStatus.PAUSED: pb.SELLER_STATUS_PAUSED,
    SellerStatus.DELETED: pb.SELLER_STATUS_DELETED,
}
PACE = {ReplyPace.HUMAN: pb.REPLY_PACE_HUMAN, ReplyPace.INSTANT: pb.REPLY_PACE_INSTANT}
PACE_IN = {value: key for key, value in PACE.items()}
LISTING_STATUS = {
    ListingStatus.AVAILABLE: pb.LISTING_STATUS_AVAILABLE,
    ListingStatus.SOLD: pb.LISTING_STATUS_SOLD,
}
LISTING_STATUS_IN = {value: key for key, value in LISTING_STATUS.items()}
DELETION_STATUS = {
    DeletionStatus.IN_PROGRESS: pb.DELETION_STATUS_IN_PROGRESS,
    DeletionStatus.COMPLETED: pb.DELETION_STATUS_COMPLETED,
}


def timestamp(value: datetime | None) -> Timestamp | None:
    """A protobuf timestamp (None stays unset)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def required(field: str, value: str) -> str:
    """The value, or InvalidArgument naming the field."""
    if not value.strip():
        raise InvalidArgument(f"{field}: is required")
    return value.strip()


def seller_out(seller: Seller) -> pb.Seller:
    """A seller as the API shows it."""
    return pb.Seller(
        seller_id=seller.seller_id,
        name=seller.name,
        email=seller.email,
        created_at=timestamp(seller.created_at),
        status=SELLER_STATUS[seller.status],
        facebook_user_id=seller.facebook_user_id or "",
    )


def page_out(page: Page) -> pb.Page:
    """A Page as the API shows it (there is no token field to fill)."""
    return pb.Page(
        page_id=page.page_id,
        seller_id=page.seller_id,
        name=page.name,
        status=PAGE_STATUS[page.status],
        connected_at=timestamp(page.connected_at),
        profile_setup_pending=page.profile_setup_pending,
        status_reason=page.status_reason,
        token_checked_at=timestamp(page.token_checked_at),
        webhooks_subscribed=page.webhooks_subscribed,
        updated_at=timestamp(page.updated_at),
        version=page.version,
    )


def _slots_out(slots: tuple[ViewingSlot, ...]) -> list[pb.ViewingSlot]:
    return [pb.ViewingSlot(weekday=s.weekday, start=s.start, end=s.end) for s in slots]


def settings_out(settings: SellerSettings) -> pb.SellerSettings:
    """Settings as the API shows them."""
    return pb.SellerSettings(
        seller_id=settings.seller_id,
        language=settings.languages[0] if settings.languages else "",
        tone=settings.tone,
        takeover_keywords=list(settings.takeover_keywords),
        pacing_enabled=settings.reply_pace is ReplyPace.HUMAN,
        time_zone=settings.time_zone,
        languages=list(settings.languages),
        reply_pace=PACE[settings.reply_pace],
        escrow_enabled=settings.escrow_enabled,
        human_takeover_enabled=settings.human_takeover_enabled,
        viewing_availability=_slots_out(settings.viewing_availability),
        max_concessions=settings.max_concessions,
        currency=settings.currency,
        version=settings.version,
    )


def settings_in(message: pb.SellerSettings) -> SellerSettings:
    """Settings from a request; `languages` wins over the single `language`."""
    languages = tuple(message.languages) or ((message.language,) if message.language else ())
    pace = PACE_IN.get(message.reply_pace)
    if pace is None:
        pace = ReplyPace.HUMAN if message.pacing_enabled else ReplyPace.INSTANT
    return SellerSettings(
        seller_id=required("seller_id", message.seller_id),
        languages=languages,
        tone=message.tone,
        reply_pace=pace,
        escrow_enabled=message.escrow_enabled,
        human_takeover_enabled=message.human_takeover_enabled,
        viewing_availability=tuple(
            ViewingSlot(s.weekday, s.start, s.end) for s in message.viewing_availability
        ),
        takeover_keywords=tuple(message.takeover_keywords),
        max_concessions=message.max_concessions,
        currency=message.currency or "USD",
        time_zone=message.time_zone or "UTC",
        version=message.version,
    )


def _money(currency: str, amount: int | None) -> pb.Money | None:
    return None if amount is None else pb.Money(currency=currency, amount_minor=amount)


def _overrides_out(o: RuleOverrides) -> pb.RuleOverrides:
    message = pb.RuleOverrides(
        languages=list(o.languages), extra_takeover_keywords=list(o.extra_takeover_keywords)
    )
    if o.tone is not None:
        message.tone = o.tone
    if o.max_concessions is not None:
        message.max_concessions = o.max_concessions
    if o.reply_pace is not None:
        message.reply_pace = PACE[o.reply_pace]
    if o.escrow_enabled is not None:
        message.escrow_enabled = o.escrow_enabled
    if o.human_takeover_enabled is not None:
        message.human_takeover_enabled = o.human_takeover_enabled
    return message


def _overrides_in(m: pb.RuleOverrides) -> RuleOverrides:
    return RuleOverrides(
        tone=m.tone if m.HasField("tone") else None,
        max_concessions=m.max_concessions if m.HasField("max_concessions") else None,
        reply_pace=PACE_IN.get(m.reply_pace) if m.HasField("reply_pace") else None,
        escrow_enabled=m.escrow_enabled if m.HasField("escrow_enabled") else None,
        human_takeover_enabled=(
            m.human_takeover_enabled if m.HasField("human_takeover_enabled") else None
        ),
        languages=tuple(m.languages),
        extra_takeover_keywords=tuple(m.extra_takeover_keywords),
    )


def listing_out(listing: Listing) -> pb.Listing:
    """A listing as the API shows it."""
    v = listing.vehicle
    return pb.Listing(
        listing_id=listing.listing_id,
        seller_id=listing.seller_id,
        page_id=listing.page_id or "",
        title=listing.title,
        description=listing.description,
        asking_price=_money(listing.currency, listing.asking_minor),
        floor_price=_money(listing.currency, listing.floor_minor),
        auto_accept_price=_money(listing.currency, listing.auto_accept_minor),
        max_concessions=listing.max_concessions or 0,
        attributes=listing.attributes,
        available=listing.status is ListingStatus.AVAILABLE,
        ref=listing.ref,
        status=LISTING_STATUS[listing.status],
        vehicle=pb.Vehicle(
            year=v.year or 0,
            make=v.make,
            model=v.model,
            trim=v.trim,
            mileage=v.mileage or 0,
            mileage_unit=v.mileage_unit,
            condition=v.condition,
            features=list(v.features),
        ),
        photo_urls=list(listing.photo_urls),
        location=listing.location,
        overrides=_overrides_out(listing.overrides),
        m_me_url=f"https://m.me/{listing.page_id}?ref={listing.ref}" if listing.page_id else "",
        created_at=timestamp(listing.created_at),
        updated_at=timestamp(listing.updated_at),
        version=listing.version,
    )


def listing_in(m: pb.Listing) -> Listing:
    """A listing from a request; prices must share one currency."""
    currency = m.asking_price.currency.upper()
    for field, money in (
        ("floor_price", m.floor_price),
        ("auto_accept_price", m.auto_accept_price),
    ):
        if money.currency.upper() not in ("", currency):
            raise InvalidArgument(f"{field}.currency: must be the asking price's currency")
    v = m.vehicle
    return Listing(
        listing_id=m.listing_id,
        seller_id=required("seller_id", m.seller_id),
        page_id=m.page_id or None,
        title=m.title,
        description=m.description,
        currency=currency,
        asking_minor=m.asking_price.amount_minor,
        floor_minor=m.floor_price.amount_minor,
        auto_accept_minor=(
            m.auto_accept_price.amount_minor if m.HasField("auto_accept_price") else None
        ),
        max_concessions=m.max_concessions or None,
        ref=m.ref,
        status=LISTING_STATUS_IN.get(m.status, ListingStatus.AVAILABLE),
        vehicle=Vehicle(
            year=v.year or None,
            make=v.make,
            model=v.model,
            trim=v.trim,
            mileage=v.mileage if v.mileage else None,
            mileage_unit=v.mileage_unit or "km",
            condition=v.condition,
            features=tuple(v.features),
        ),
        location=m.location,
        photo_urls=tuple(m.photo_urls),
        attributes=dict(m.attributes),
        overrides=_overrides_in(m.overrides),
        version=m.version,
    )


def rules_out(rules: ListingRules) -> pb.ListingRules:
    """The rules in force for a listing."""
    return pb.ListingRules(
        listing_id=rules.listing_id,
        seller_id=rules.seller_id,
        asking_price=_money(rules.currency, rules.asking_minor),
        floor_price=_money(rules.currency, rules.floor_minor),
        auto_accept_price=_money(rules.currency, rules.auto_accept_minor),
        max_concessions=rules.max_concessions,
        tone=rules.tone,
        languages=list(rules.languages),
        reply_pace=PACE[rules.reply_pace],
        escrow_enabled=rules.escrow_enabled,
        human_takeover_enabled=rules.human_takeover_enabled,
        takeover_keywords=list(rules.takeover_keywords),
        viewing_availability=_slots_out(rules.viewing_availability),
        time_zone=rules.time_zone,
        available=rules.available,
    )


def deletion_out(request: DeletionRequest, status_url: str) -> pb.DeletionRequest:
    """A deletion request as the API shows it (the user id is not kept)."""
    return pb.DeletionRequest(
        confirmation_code=request.confirmation_code,
        status=DELETION_STATUS[request.status],
        progress=list(request.progress),
        requested_at=timestamp(request.requested_at),
        updated_at=timestamp(request.updated_at),
        status_url=status_url,
    )
