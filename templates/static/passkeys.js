/* Passkey ceremonies on the hosted pages (WebAuthn Level 3, navigator.credentials).
 *
 * A form marked data-passkey="create" or "get" carries the server's options (JSON, binary members
 * base64url-encoded) in data-options. Submitting it runs the ceremony; the credential goes back
 * as JSON in the hidden "credential" field, or the browser's error name in "error" (cancelled,
 * timed out, not allowed), so the server can say what happened. A form with data-conditional
 * also offers its passkeys in the autofill of the field marked autocomplete="username webauthn"
 * (conditional mediation). No library, no other origin: the page's CSP allows only this file.
 */
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // the forms stay hidden: passwords, codes and links still work
  }

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeDescriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBuffer(d.id) }); });
  }

  function publicKeyOptions(form) {
    var options = JSON.parse(form.dataset.options);
    options.challenge = toBuffer(options.challenge);
    if (form.dataset.passkey === "create") {
      options.user.id = toBuffer(options.user.id);
      options.excludeCredentials = decodeDescriptors(options.excludeCredentials);
    } else {
      options.allowCredentials = decodeDescriptors(options.allowCredentials);
    }
    return options;
  }

  function serialise(credential) {
    var r = credential.response;
    var json = {
      id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      json.response.attestationObject = toBase64url(r.attestationObject);
      json.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(r.authenticatorData);
      json.response.signature = toBase64url(r.signature);
      json.response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
    }
    return JSON.stringify(json);
  }

  function send(form, credential, errorName) {
    form.elements.credential.value = credential ? serialise(credential) : "";
    form.elements.error.value = errorName || "";
    HTMLFormElement.prototype.submit.call(form);
  }

  var conditional = null; // the pending autofill request, aborted before a modal one starts

  function run(form) {
    if (conditional) { conditional.abort(); conditional = null; }
    var request = form.dataset.passkey === "create"
      ? navigator.credentials.create({ publicKey: publicKeyOptions(form) })
      : navigator.credentials.get({ publicKey: publicKeyOptions(form) });
    request.then(function (credential) { send(form, credential, ""); },
                 function (error) { send(form, null, (error && error.name) || "Error"); });
  }

  function offerAutofill(form) {
    if (!PublicKeyCredential.isConditionalMediationAvailable) { return; }
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available) { return; }
      conditional = new AbortController();
      navigator.credentials.get({ mediation: "conditional", signal: conditional.signal,
                                  publicKey: publicKeyOptions(form) })
        .then(function (credential) { if (credential) { send(form, credential, ""); } },
              function () { /* aborted for the button, or dismissed: nothing to report */ });
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run(form);
    });
    if (form.dataset.conditional) { offerAutofill(form); }
  });
})();
