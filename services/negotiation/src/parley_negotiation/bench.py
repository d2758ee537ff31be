"""The negotiation engine's benchmark: offer-parsing accuracy, simulated negotiations against
scripted buyers, and decisions per second on one core (`python -m parley_negotiation.bench`)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import TextIO

from parley_negotiation.corpus import offer_accuracy
from parley_negotiation.domain.engine import respond
from parley_negotiation.domain.model import ListingFacts, NegotiationState, Rules, WeeklyWindow
from parley_negotiation.simulator import Report, simulate

TARGET_PER_SECOND = 5_000
NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
AVAILABILITY = (WeeklyWindow(6, "10:00", "16:00"), WeeklyWindow(3, "17:00", "19:00"))
CAR = ListingFacts(
    title="2015 Toyota Camry SE",
    price=Decimal(8500),
    year=2015,
    make="Toyota",
    model="Camry",
    trim="SE",
    mileage=85000,
    condition="excellent",
    location="Austin",
    description="Clean title, new tyres.",
)
CAR_RULES = Rules(
    asking_price=Decimal(8500),
    price_floor=Decimal(7000),
    auto_accept_at=Decimal(8200),
    languages=("en", "th"),
    escrow_enabled=True,
    availability=AVAILABILITY,
)
PICKUP = ListingFacts(
    title="Isuzu D-Max 2019",
    price=Decimal(450000),
    currency="THB",
    year=2019,
    make="Isuzu",
    model="D-Max",
    mileage=98000,
    mileage_unit="km",
    location="Bangkok",
)
PICKUP_RULES = Rules(
    asking_price=Decimal(450000),
    price_floor=Decimal(400000),
    tone="flexible",  # type: ignore[arg-type]  # Rules converts it
    languages=("th", "en"),
    availability=AVAILABILITY,
    time_zone="Asia/Bangkok",
)
# Conversations as buyers write them: questions, offers, viewings, acceptances, both languages.
CONVERSATIONS: tuple[tuple[ListingFacts, Rules, tuple[str, ...]], ...] = (
    (
        CAR,
        CAR_RULES,
        (
            "Hi, is this still available?",
            "What's the mileage? Any accidents?",
            "What's your lowest price?",
            "Would you take $6,500 cash today?",
            "can I see it saturday at 2pm?",
            "how about 7,200?",
            "7400 is my final offer",
            "thanks!",
        ),
    ),
    (
        PICKUP,
        PICKUP_RULES,
        (
            "สวัสดีครับ ยังอยู่ไหมครับ",
            "ไมล์เท่าไหร่ครับ",
            "ลดเหลือ 3.8 แสนได้ไหมครับ",
            "ขอ 400,000 ได้ไหม",
            "พรุ่งนี้บ่ายสองไปดูได้ไหมครับ",
            "ตกลงครับ",
        ),
    ),
)


def throughput(seconds: float = 2.0) -> float:
    """Decisions per second of `respond()` (reading included), template replies, one core."""
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for listing, rules, messages in CONVERSATIONS:
            state = NegotiationState()
            for text in messages:
                state = respond(state, text, listing, rules, NOW).state
            count += len(messages)
    return count / (time.perf_counter() - start)


def _share(counts: tuple[int, int]) -> str:
    correct, total = counts
    return f"{correct / total:.1%} ({correct}/{total})" if total else "no examples"


def table(accuracy: dict[str, tuple[int, int]], report: Report, per_second: float) -> str:
    """The benchmark's figures as an aligned table; `accuracy` per language ("all", "en"...)."""
    parsing = ", ".join(f"{lang} {_share(counts)}" for lang, counts in accuracy.items())
    styles = ", ".join(f"{style} {rate:.0%}" for style, rate in report.by_style.items())
    target = "meets" if per_second >= TARGET_PER_SECOND else "MISSES"
    rows = (
        ("offer parsing accuracy", parsing),
        ("simulated negotiations", f"{report.conversations} ({report.possible} could agree)"),
        ("agreement rate", f"{report.agreement_rate:.1%} (human sellers ~74%)"),
        ("  by buyer style", styles),
        ("seller's share of zone", f"{report.zone_share:.2f}"),
        ("median price / asking", f"{report.median_price_ratio:.2f} (human sellers 0.84)"),
        ("messages to agreement", f"{report.mean_messages:.1f}"),
        ("floor violations", f"{len(report.violations)}"),
        ("throughput", f"{per_second:,.0f} decisions/s ({target} {TARGET_PER_SECOND:,})"),
    )
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(["negotiation engine", "-" * (width + 40), *lines])


def main(out: TextIO = sys.stdout) -> int:
    """Run the benchmark and print its table; 1 when the floor was ever broken."""
    report = simulate()
    accuracy = {"all": offer_accuracy(), "en": offer_accuracy("en"), "th": offer_accuracy("th")}
    out.write(table(accuracy, report, throughput()) + "\n")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
