"""A one-message page (check your email, link expired, done): shared by the account pages."""

from flask import render_template


def outcome(title: str, paragraphs: list[str], link: tuple[str, str] | None = None, kind: str = "info",
            status: int = 200):
    return render_template("message.html", title=title, paragraphs=paragraphs, link=link, kind=kind), status
