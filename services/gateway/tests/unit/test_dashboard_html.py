"""The dashboard's HTML builder escapes everything it did not build itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_gateway.dashboard.conversation_html import remaining
from parley_gateway.dashboard.html import Html, bars, esc, fmt, join, table, text_area, text_input
from parley_gateway.settings import DashboardSettings
from parley_kit.settings import Env, SettingsError


def test_values_are_escaped_and_markup_built_here_is_not() -> None:
    inner = fmt("<b>{}</b>", "<i>&'\"")
    assert inner == "<b>&lt;i&gt;&amp;&#x27;&quot;</b>"
    assert fmt("<p>{}</p>", inner) == "<p><b>&lt;i&gt;&amp;&#x27;&quot;</b></p>"
    assert esc("<x>") == "&lt;x&gt;" and isinstance(esc("<x>"), Html)
    assert join([Html("<br>"), esc("<br>")], "|") == "<br>|&lt;br&gt;"


@given(st.text())
def test_no_text_survives_as_markup(text: str) -> None:
    rendered = fmt("<td>{}</td>", text)
    inner = rendered[len("<td>") : -len("</td>")]
    assert "<" not in inner and ">" not in inner and '"' not in inner


def test_inputs_keep_values_inside_their_attributes() -> None:
    field = text_input("title", "Title", '"><script>x</script>', "bad <input>")
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in field
    assert '<span class="error" id="title-error">bad &lt;input&gt;</span>' in field
    area = text_area("text", "Text", "</textarea><script>")
    assert "&lt;/textarea&gt;&lt;script&gt;</textarea>" in area


def test_a_table_without_rows_says_so() -> None:
    assert table(("a",), [], "Nothing yet.") == '<p class="muted">Nothing yet.</p>'
    assert "<td>&lt;1&gt;</td>" in table(("a",), [("<1>",)], "")


def test_bars_scale_to_the_largest_value() -> None:
    chart = bars([("With the bot", 4), ("<Closed>", 0)], width=360)
    assert chart.startswith("<svg") and 'width="200"' in chart and 'width="0"' in chart
    assert "&lt;Closed&gt;" in chart and "<Closed>" not in chart


def test_countdowns_read_like_people_write() -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    assert remaining(now + timedelta(days=6, hours=23, minutes=59), now) == "6 d 23 h"
    assert remaining(now + timedelta(hours=5, minutes=12), now) == "5 h 12 min"
    assert remaining(now + timedelta(seconds=59), now) == "less than a minute"
    assert remaining(now - timedelta(seconds=1), now) == "closed"


def test_the_dashboard_is_off_without_a_secret_and_refuses_a_short_one() -> None:
    off = DashboardSettings.read(Env({}))
    assert not off.enabled and off.public_url == "http://127.0.0.1:8080"
    assert not off.secure_cookies
    on = DashboardSettings.read(
        Env({"PARLEY_DASHBOARD_SECRET": "s" * 32, "PARLEY_PUBLIC_URL": "https://parley.example/"})
    )
    assert on.enabled and on.secure_cookies and on.public_url == "https://parley.example"
    short = DashboardSettings.read(Env({"PARLEY_DASHBOARD_SECRET": "short"}))
    with pytest.raises(SettingsError, match="PARLEY_DASHBOARD_SECRET"):
        short.validate()
