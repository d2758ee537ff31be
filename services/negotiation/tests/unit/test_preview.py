"""The preview contract: JSON in, one turn per buyer message out; clear errors per document."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from parley_negotiation.preview import main

LISTING = {
    "title": "2015 Toyota Camry SE",
    "year": 2015,
    "make": "Toyota",
    "model": "Camry",
    "mileage": 85000,
    "price": 8500,
    "currency": "USD",
    "description": "Clean title.",
}
RULES = {
    "asking_price": 8500,
    "price_floor": 7000,
    "auto_accept_at": 8200,
    "max_concessions": 3,
    "tone": "balanced",
    "language": "en",
}
MESSAGES = ["Is this still available?", "Would you take $6,800?", "How about 7,400?", "ok deal"]
TURN_KEYS = ["message", "intent", "offer", "action", "price", "reply"]


def document(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"listing": dict(LISTING), "rules": dict(RULES), "messages": MESSAGES}
    for path, value in changes.items():
        section, _, name = path.partition("__")
        if name:
            base[section][name] = value
        else:
            base[section] = value
    return base


def preview(text: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(io.StringIO(text), out)
    return code, out.getvalue()


def test_one_document_gives_one_turn_per_message_in_order() -> None:
    code, out = preview(json.dumps(document(), indent=2))
    assert code == 0
    turns = json.loads(out)["turns"]
    assert [turn["message"] for turn in turns] == MESSAGES
    assert all(list(turn) == TURN_KEYS for turn in turns)
    first, offer, second_offer, deal = turns
    assert (first["intent"], first["action"], first["offer"]) == ("availability", "answer", None)
    assert offer["offer"] == 6800 and offer["action"] == "counter"
    assert isinstance(offer["price"], int) and 7000 <= offer["price"] < 8500
    assert second_offer["offer"] == 7400
    assert deal["action"] == "accept"
    assert deal["price"] is not None and deal["price"] >= 7000


def test_a_compact_document_gets_a_one_line_answer_a_pretty_one_an_indented_answer() -> None:
    compact = preview(json.dumps(document()))[1]
    pretty = preview(json.dumps(document(), indent=2))[1]
    assert compact.count("\n") == 1
    assert pretty.count("\n") > 10
    assert json.loads(compact) == json.loads(pretty)


def test_prices_are_json_numbers_and_cents_survive() -> None:
    doc = document(
        rules__asking_price=99.5,
        rules__price_floor=80.25,
        rules__auto_accept_at=None,
        listing__price=99.5,
        messages=["ok deal"],
    )
    turns = json.loads(preview(json.dumps(doc))[1])["turns"]
    assert turns[0]["price"] == 99.5


def test_json_lines_give_one_compact_result_per_line_and_bad_lines_an_error() -> None:
    good = json.dumps(document(messages=["ok deal"]))
    bad = json.dumps(document(rules__price_floor=9000))
    code, out = preview("\n".join([good, "{not json", bad, good]) + "\n")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4
    results = [json.loads(line) for line in lines]
    assert results[0]["turns"][0]["action"] == "accept"
    assert "not valid JSON" in results[1]["error"]
    assert results[2] == {
        "error": "rules.price_floor: 9000 is above asking_price 8500; "
        "rules.auto_accept_at: 8200 is below price_floor 9000"
    }
    assert results[3] == results[0]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"listing": None}, "listing: required, an object"),
        ({"listing__price": "8500"}, "listing.price: unexpected a string '8500'"),
        ({"listing__price": -1}, "listing.price: expected a number above 0, got -1"),
        ({"listing__title": ""}, "listing.title: required, a non-empty string"),
        ({"listing__colour": "red"}, "listing.colour: unknown field"),
        ({"listing__year": 2015.5}, "listing.year: expected a whole number"),
        ({"listing__currency": "dollars"}, "listing.currency: 'dollars' is not a 3-letter"),
        ({"rules__price_floor": None}, "rules.price_floor: required, a number above 0"),
        ({"rules__auto_accept_at": 6000}, "rules.auto_accept_at: 6000 is below price_floor 7000"),
        ({"rules__tone": "stubborn"}, "rules.tone: 'stubborn' is not one of"),
        ({"rules__language": "fr"}, "rules.language: 'fr' is not one of en, th"),
        ({"rules__max_concessions": 11}, "rules.max_concessions: 11 is not between 0 and 10"),
        ({"rules__max_concessions": True}, "rules.max_concessions: unexpected a boolean True"),
        ({"messages": "hi"}, "messages: required, a list of strings"),
        ({"messages": ["hi", 3]}, "messages[1]: expected a string, got a number"),
    ],
)
def test_invalid_documents_name_the_field_and_the_problem(
    changes: dict[str, Any], error: str
) -> None:
    code, out = preview(json.dumps(document(**changes)))
    assert code == 0
    assert json.loads(out)["error"].startswith(error)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "input: not valid JSON"),
        ("[1, 2]", "input: expected an object, got a list"),
        ('{"listing": {}, "rules": {}, "messages": [], "extra": 1}', "extra: unknown field"),
        ('{\n  "listing": {\n', "input: not valid JSON"),
    ],
)
def test_unusable_input_is_one_error_document(text: str, error: str) -> None:
    code, out = preview(text)
    assert code == 0
    assert json.loads(out)["error"].startswith(error)


def test_a_thai_seller_answers_in_thai_with_baht() -> None:
    doc = document(
        listing__currency="THB",
        listing__price=350000,
        rules__asking_price=350000,
        rules__price_floor=300000,
        rules__auto_accept_at=None,
        rules__language="th",
        messages=["ลดเหลือ 320,000 ได้ไหมครับ"],
    )
    turn = json.loads(preview(json.dumps(doc))[1])["turns"][0]
    assert turn["offer"] == 320000
    assert "บาท" in turn["reply"] and "ครับ" in turn["reply"]


def test_an_unreadable_stdin_is_exit_code_1() -> None:
    class Broken(io.StringIO):
        def read(self, size: int | None = -1) -> str:
            raise OSError("device gone")

    out = io.StringIO()
    assert main(Broken(), out) == 1
    assert "stdin" in json.loads(out.getvalue())["error"]
