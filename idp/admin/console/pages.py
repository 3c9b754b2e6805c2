"""What the console's pages share: the confirmation step of a destructive action, page numbers,
the chart's bar classes and UTC dates."""

from __future__ import annotations

from flask import render_template, request

PAGE_SIZE = 20


def confirmation(form, *, title: str, question: str, action: str, button: str, cancel: str, fields: dict | None = None,
                 layout: str = "admin/layout.html"):
    """The page that asks before acting; its form posts the same fields again with confirmed=yes."""
    return render_template("confirm.html", layout=layout, form=form, title=title, question=question, action=action,
                           button=button, cancel=cancel, fields=fields or {})


def confirmed(form) -> bool:
    return form.validate_on_submit() and form.confirmed.data == "yes"


def page_number() -> int:
    value = request.args.get("page", "1")
    return max(1, min(int(value), 100_000)) if value.isdigit() else 1


def bar_class(value: int, peak: int) -> str:
    """h0..h20: the bar's height in steps of 5% of the busiest hour (CSS classes: no inline style)."""
    return f"h{round(20 * value / peak) if peak else 0}"


def utc(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"
