"""The user-code page of the device flow (RFC 8628 3.3).

1. the person signs in first (then comes back here, the code from verification_uri_complete kept);
2. enters the code, or confirms the prefilled one (RFC 8628 3.3.1: a prefilled code is still
   shown for comparison with the device); wrong codes are counted per account and refused
   beyond DEVICE_CODE_ATTEMPTS per window (RFC 8628 5.1, brute force);
3. sees which application on which device asks for what, always (RFC 8628 5.4: remote
   phishing), and allows or denies; the decision is recorded once and the code stops working.
"""

from __future__ import annotations

import time
import urllib.parse

from flask import redirect, render_template, request, session, url_for

from idp.observability import audit
from idp.plumbing.context import services
from idp.signin import logout
from idp.tokens.device_authorizations import DeviceStore, normalize_user_code
from idp.tokens.service import new_grant_id
from idp.web.blueprint import bp
from idp.web.consent import SCOPE_DESCRIPTIONS
from idp.web.forms import DeviceCodeForm, DeviceConsentForm

ATTEMPT_WINDOW = 900


@bp.route("/device", methods=["GET", "POST"])
def device():
    # 1. Signed in first.
    if not session.get("uid"):
        here = "/device"
        if request.args.get("user_code"):
            here += "?" + urllib.parse.urlencode({"user_code": request.args["user_code"][:16]})
        return redirect(url_for("web.login", next=here))
    form = DeviceCodeForm()
    if request.method == "GET":
        form.user_code.data = request.args.get("user_code", "")[:32]
        return render_template("device.html", stage="code", form=form, error=None)

    # 2. The code.
    if not form.validate_on_submit():
        return render_template("device.html", stage="code", form=form, error=None), 400
    svc = services()
    # Per account (the page needs a signed-in user): behind a proxy every address looks the same,
    # and a shared counter would let one person lock everyone out.
    attempts_key = "devtries:" + session["uid"]
    if int(svc.store.get(attempts_key) or 0) >= svc.config.device_code_attempts:
        return render_template("device.html", stage="code", form=form,
                               error="Too many attempts. Wait a few minutes and try again."), 429
    user_code = normalize_user_code(form.user_code.data)
    pending = DeviceStore(svc.store).by_user_code(user_code) if user_code else None
    if pending is None:
        svc.store.incr(attempts_key, ATTEMPT_WINDOW)
        return render_template("device.html", stage="code", form=form,
                               error="That code is not valid or has expired. Check the code on your device."), 400

    # 3. What is asked, then the decision (device_confirm).
    return confirmation_page(DeviceConsentForm(formdata=None, user_code=user_code), pending)


def confirmation_page(form, pending, status=200):
    client = services().clients.get(pending.client_id)
    scopes = [(s, SCOPE_DESCRIPTIONS.get(s, s)) for s in pending.scope.split()]
    return render_template("device.html", stage="confirm", form=form, client=client, scopes=scopes,
                           user_code=pending.user_code), status


@bp.route("/device/confirm", methods=["POST"])
def device_confirm():
    form = DeviceConsentForm()
    user_id = session.get("uid")
    devices = DeviceStore(services().store)
    user_code = normalize_user_code(form.user_code.data or "")
    pending = devices.by_user_code(user_code) if user_code else None
    if not user_id or pending is None:
        return render_template("error.html", error="expired_request",
                               description="This code has expired or was already used. Start again on your device."), 400
    if not form.validate_on_submit():
        return confirmation_page(form, pending, 400)
    approved = bool(form.allow.data) and not form.deny.data
    decision = {"approved": approved, "user_id": user_id, "grant_id": new_grant_id(),
                "auth_time": session.get("auth_time") or int(time.time()), "sid": session.get("sid")}
    if not devices.decide(pending, decision):
        return render_template("error.html", error="expired_request",
                               description="This code was already used."), 400
    audit.record("device.granted" if approved else "device.denied", user_id=user_id, client_id=pending.client_id)
    if approved:
        services().consents.grant(user_id, pending.client_id, set(pending.scope.split()))
        logout.remember_client(pending.client_id)
    return render_template("device.html", stage="done", approved=approved)
