"""/brand.css: the operator's colour (BRAND_PRIMARY_COLOR) as CSS custom properties, so
rebranding needs no template edit and no inline style (the CSP forbids it)."""

from __future__ import annotations

import hashlib

from flask import Response, request

from idp.organizations.branding import primary_color
from idp.plumbing.context import services
from idp.web.blueprint import bp


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _contrast_text(rgb: tuple[int, int, int]) -> str:
    """White or near-black, whichever reads better on the brand colour (WCAG relative luminance)."""
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    luminance = 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2])
    return "#ffffff" if luminance < 0.45 else "#111827"


def brand_stylesheet(color: str) -> str:
    r, g, b = _rgb(color)
    return (":root {\n"
            f"  --primary: #{r:02x}{g:02x}{b:02x};\n"
            f"  --primary-rgb: {r}, {g}, {b};\n"
            f"  --on-primary: {_contrast_text((r, g, b))};\n"
            "}\n")


@bp.get("/brand.css")
def brand_css():
    """?org=<id>: an organization's colour (its sign-in pages, idp/web/org_brand.py), checked again
    as #rrggbb and written from its three numbers, so nothing but a colour reaches the stylesheet."""
    svc = services()
    color = primary_color(svc, request.args.get("org")) if "org" in request.args else None
    body = brand_stylesheet(color or svc.config.brand_primary_color)
    etag = hashlib.sha256(body.encode()).hexdigest()[:16]
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    return Response(body, mimetype="text/css", headers={"ETag": f'"{etag}"', "Cache-Control": "public, max-age=300"})
