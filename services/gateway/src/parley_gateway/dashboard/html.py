"""A tiny HTML builder: every value is escaped unless it is already `Html` built here."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence


class Html(str):
    """Markup that is safe to send: built only by the functions of this module."""

    __slots__ = ()


def esc(value: object) -> Html:
    """`value` as safe markup: Html passes through, anything else is escaped."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def fmt(template: str, *args: object, **kwargs: object) -> Html:
    """`template.format(...)` with every argument escaped; the template itself is trusted."""
    return Html(template.format(*(esc(a) for a in args), **{k: esc(v) for k, v in kwargs.items()}))


def join(parts: Iterable[Html], separator: str = "") -> Html:
    """Safe fragments joined by a literal separator."""
    return Html(separator.join(esc(part) for part in parts))


def when(condition: bool, markup: Html) -> Html:
    """`markup` if `condition`, else nothing."""
    return markup if condition else Html("")


def link(href: str, text: object) -> Html:
    """An anchor."""
    return fmt('<a href="{}">{}</a>', href, text)


def table(headers: Sequence[object], rows: Iterable[Sequence[object]], empty: str) -> Html:
    """A table, or a paragraph saying `empty` when there are no rows."""
    body = join(fmt("<tr>{}</tr>", join(fmt("<td>{}</td>", cell) for cell in row)) for row in rows)
    if not body:
        return fmt('<p class="muted">{}</p>', empty)
    head = join(fmt("<th>{}</th>", h) for h in headers)
    return fmt("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def pairs(rows: Iterable[tuple[object, object]]) -> Html:
    """A two-column table of label and value."""
    body = join(fmt("<tr><th>{}</th><td>{}</td></tr>", k, v) for k, v in rows)
    return fmt('<table class="pairs">{}</table>', body)


def notice(text: object, kind: str = "info") -> Html:
    """A highlighted message (info, ok or error)."""
    role = ' role="alert"' if kind == "error" else ""
    return fmt('<p class="notice {}"{}>{}</p>', kind, Html(role), text)


def hidden(name: str, value: str) -> Html:
    """A hidden form input."""
    return fmt('<input type="hidden" name="{}" value="{}">', name, value)


def post_form(action: str, csrf: str, body: Html, button: str, css: str = "") -> Html:
    """A POST form carrying the session's CSRF token."""
    return fmt(
        '<form method="post" action="{}" class="{}">{}{}<button type="submit">{}</button></form>',
        action,
        css,
        hidden("csrf", csrf),
        body,
        button,
    )


def _field(name: str, label: str, control: Html, error: str, hint: str) -> Html:
    """A labelled control, its hint, and its error (id `<name>-error`) when there is one."""
    return fmt(
        '<div class="field{}"><label for="{}">{}</label>{}{}{}</div>',
        " invalid" if error else "",
        name,
        label,
        control,
        when(bool(hint), fmt('<span class="hint">{}</span>', hint)),
        when(bool(error), fmt('<span class="error" id="{}-error">{}</span>', name, error)),
    )


def text_input(
    name: str, label: str, value: str, error: str = "", *, hint: str = "", kind: str = "text"
) -> Html:
    """A labelled one-line input with its error beside it."""
    described = when(bool(error), fmt(' aria-describedby="{}-error"', name))
    control = fmt(
        '<input type="{}" id="{}" name="{}" value="{}"{}>', kind, name, name, value, described
    )
    return _field(name, label, control, error, hint)


def text_area(name: str, label: str, value: str, error: str = "", *, hint: str = "") -> Html:
    """A labelled multi-line input with its error beside it."""
    # HTML drops one newline right after <textarea>: give it one, so the value keeps its own.
    control = fmt('<textarea id="{}" name="{}" rows="4">\n{}</textarea>', name, name, value)
    return _field(name, label, control, error, hint)


def select(
    name: str, label: str, options: Sequence[tuple[str, str]], chosen: str, error: str = ""
) -> Html:
    """A labelled drop-down of (value, text) options."""
    items = join(
        fmt('<option value="{}"{}>{}</option>', v, Html(" selected" if v == chosen else ""), t)
        for v, t in options
    )
    return _field(
        name, label, fmt('<select id="{}" name="{}">{}</select>', name, name, items), error, ""
    )


def checkbox(name: str, label: str, checked: bool, error: str = "") -> Html:
    """A labelled checkbox (sent as `on` when ticked)."""
    control = fmt(
        '<input type="checkbox" id="{}" name="{}" value="on"{}>',
        name,
        name,
        Html(" checked" if checked else ""),
    )
    return _field(name, label, control, error, "")


def bars(values: Sequence[tuple[str, int]], *, width: int = 360) -> Html:
    """A horizontal bar chart as inline SVG, one labelled bar per value."""
    top = max((v for _, v in values), default=0) or 1
    row, label_w = 26, 110
    height = row * len(values) + 4
    shapes = []
    for index, (label, value) in enumerate(values):
        y = index * row + 4
        length = round((width - label_w - 50) * value / top)
        shapes.append(
            fmt(
                '<text x="0" y="{}" class="label">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="18" rx="2"></rect>'
                '<text x="{}" y="{}" class="value">{}</text>',
                y + 14,
                label,
                label_w,
                y,
                length,
                label_w + length + 6,
                y + 14,
                value,
            )
        )
    return fmt(
        '<svg class="bars" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}">'
        "{}</svg>",
        ", ".join(f"{label}: {value}" for label, value in values),
        width,
        height,
        width,
        height,
        join(shapes),
    )
