"""The offer reader against the labelled corpus of real-style buyer messages (EN and TH)."""

from __future__ import annotations

from collections import Counter

from parley_negotiation.corpus import offer_accuracy, offer_examples
from parley_negotiation.domain.reading import OfferKind

REQUIRED_ACCURACY = 0.97


def test_offer_accuracy_on_the_labelled_set_is_at_least_97_percent() -> None:
    correct, total = offer_accuracy()
    by_language = {lang: offer_accuracy(lang) for lang in ("en", "th")}
    split = ", ".join(f"{lang} {c}/{t} ({c / t:.1%})" for lang, (c, t) in by_language.items())
    print(f"\noffer accuracy: {correct}/{total} ({correct / total:.1%}); {split}")
    misses = [e.text for e in offer_examples() if not e.read_correctly()]
    assert correct / total >= REQUIRED_ACCURACY, misses
    assert sum(t for _, t in by_language.values()) == total


def test_the_labelled_set_is_large_and_mixed_like_real_traffic() -> None:
    examples = offer_examples()
    kinds = Counter(example.kind for example in examples)
    languages = Counter(example.lang for example in examples)
    priced = len(examples) - kinds[OfferKind.NONE]
    assert len(examples) >= 320
    assert 0.35 <= priced / len(examples) <= 0.5  # about 40% carry a price, as in real traffic
    assert all(kinds[kind] > 0 for kind in OfferKind)
    assert languages["th"] >= 100 and languages["en"] >= 200


def test_every_example_is_well_formed() -> None:
    for example in offer_examples():
        assert example.text.strip()
        assert example.reference > 0
        assert example.lang in ("en", "th")
        has_amount = example.kind in (OfferKind.OFFER, OfferKind.IMPLAUSIBLE)
        assert (example.expect is not None) == has_amount, example.text
