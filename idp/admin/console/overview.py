"""The console's first page: how many users, clients and live sessions, sign-ins and failed
sign-ins per hour over the last day (CSS bars, no script), and the signing keys' next rotation."""

from __future__ import annotations

from flask import render_template

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.pages import bar_class, utc


@bp.get("")
@bp.get("/")
def overview():
    data = backend.overview()
    peak = max(data.sign_ins + data.failures + [0])
    hours = [dict(ok=ok, failed=failed, ok_class=bar_class(ok, peak), failed_class=bar_class(failed, peak),
                  ago=len(data.sign_ins) - 1 - index)
             for index, (ok, failed) in enumerate(zip(data.sign_ins, data.failures, strict=True))]
    return render_template("admin/overview.html", data=data, hours=hours, total_ok=sum(data.sign_ins),
                           total_failed=sum(data.failures),
                           rotations=[(alg, utc(when)) for alg, when in data.next_rotations])
