// A relying-party web app built only on openid-client (panva; OpenID Certified RP), so the IdP is
// driven by a client it was not written with. tests/test_interop_openid_client.py starts it, points
// a real browser at /login and asks it, through the /api routes, to use what it was given.
//
// RP_CONFIG (JSON, from the environment): issuer, port, client_id, and one of client_secret (sent
// as client_secret_basic, or as client_secret_jwt when secret_jwt is set), private_jwk
// (private_key_jwt, RFC 7523) or neither (a public client); dpop (RFC 9449), par
// (RFC 9126) and jar (RFC 9101: the request signed with private_jwk) switch those on.
// Nothing secret is ever printed.
import http from 'node:http';
import * as client from 'openid-client';

const settings = JSON.parse(process.env.RP_CONFIG);
const base = `http://127.0.0.1:${settings.port}`;
const redirectUri = `${base}/callback`;
const signedOutUri = `${base}/signed-out`;

async function privateKey() {
  const { kid, alg, ...jwk } = settings.private_jwk;
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  return { key, kid };
}

const signingKey = settings.private_jwk ? await privateKey() : undefined;

function clientAuthentication() {
  if (signingKey) return client.PrivateKeyJwt(signingKey);
  if (!settings.client_secret) return client.None();
  return settings.secret_jwt ? client.ClientSecretJwt(settings.client_secret) : client.ClientSecretBasic(settings.client_secret);
}

// The IdP under test listens on plain http on 127.0.0.1; openid-client insists on https unless told.
const config = await client.discovery(new URL(settings.issuer), settings.client_id, undefined,
  clientAuthentication(), { execute: [client.allowInsecureRequests] });
const dpop = settings.dpop ? client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) : undefined;
const options = dpop ? { DPoP: dpop } : undefined;

const pending = new Map(); // state -> { verifier, nonce }
let session = null; // the signed-in user's tokens and ID token claims
let device = null; // the device grant's progress

function summary(tokens) {
  return {
    claims: tokens.claims() ?? null,
    token_type: tokens.token_type,
    scope: tokens.scope,
    expires_in: tokens.expiresIn(),
    has_refresh_token: Boolean(tokens.refresh_token),
    access_token: tokens.access_token, // handed to the test, which presents it to resource servers
  };
}

async function login(url, res) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  pending.set(state, { verifier, nonce });
  const parameters = {
    redirect_uri: redirectUri, scope: url.searchParams.get('scope') ?? 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    state, nonce, prompt: 'consent',
  };
  let target;
  if (settings.par) target = await client.buildAuthorizationUrlWithPAR(config, parameters, options);
  else if (settings.jar) target = await client.buildAuthorizationUrlWithJAR(config, parameters, signingKey);
  else target = client.buildAuthorizationUrl(config, parameters);
  res.writeHead(302, { Location: target.href }).end();
}

async function callback(url, res) {
  const expected = pending.get(url.searchParams.get('state'));
  if (!expected) throw new Error('unknown state');
  pending.delete(url.searchParams.get('state'));
  const tokens = await client.authorizationCodeGrant(config, url, {
    pkceCodeVerifier: expected.verifier, expectedState: url.searchParams.get('state'),
    expectedNonce: expected.nonce, idTokenExpected: true,
  }, undefined, options);
  session = { tokens, idToken: tokens.id_token, summary: summary(tokens) };
  page(res, 'Signed in', { sub: session.summary.claims.sub, token_type: tokens.token_type });
}

function page(res, title, data) {
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    .end(`<!doctype html><title>${title}</title><h1>${title}</h1><pre id="result">${json}</pre>`);
}

function json(res, status, data) {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(data));
}

function signedIn() {
  if (!session) throw new Error('not signed in');
  return session;
}

async function startDevice(res) {
  const started = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' });
  device = { status: 'pending' };
  client.pollDeviceAuthorizationGrant(config, started, undefined, options)
    .then((tokens) => { device = { status: 'done', ...summary(tokens) }; })
    .catch((error) => { device = { status: 'failed', ...describe(error) }; });
  json(res, 200, { user_code: started.user_code, verification_uri: started.verification_uri,
                   verification_uri_complete: started.verification_uri_complete, interval: started.interval });
}

const routes = {
  'GET /login': login,
  'GET /callback': callback,
  'GET /logout': async (url, res) => {
    const target = client.buildEndSessionUrl(config, {
      id_token_hint: signedIn().idToken, post_logout_redirect_uri: signedOutUri, state: 'bye' });
    session = null;
    res.writeHead(302, { Location: target.href }).end();
  },
  'GET /signed-out': async (url, res) => page(res, 'Signed out', { state: url.searchParams.get('state') }),
  'GET /api/session': async (url, res) => json(res, 200, signedIn().summary),
  'POST /api/userinfo': async (url, res) => {
    const { tokens, summary: current } = signedIn();
    json(res, 200, await client.fetchUserInfo(config, tokens.access_token, current.claims.sub, options));
  },
  'POST /api/refresh': async (url, res) => {
    const tokens = await client.refreshTokenGrant(config, signedIn().tokens.refresh_token, undefined, options);
    // OIDC Core 12.2: a refresh response may carry a new ID token; the RP keeps the last one it had.
    session = { tokens, idToken: tokens.id_token ?? session.idToken,
                summary: { ...summary(tokens), claims: tokens.claims() ?? session.summary.claims } };
    json(res, 200, session.summary);
  },
  'POST /api/introspect': async (url, res) =>
    json(res, 200, await client.tokenIntrospection(config, signedIn().tokens.access_token)),
  'POST /api/revoke': async (url, res) => {
    await client.tokenRevocation(config, signedIn().tokens.refresh_token ?? signedIn().tokens.access_token);
    json(res, 200, { revoked: true });
  },
  'POST /api/device': async (url, res) => startDevice(res),
  'GET /api/device': async (url, res) => json(res, 200, device ?? { status: 'not started' }),
};

function describe(error) {
  return { error: error.error ?? error.code ?? error.name, error_description: error.error_description ?? error.message,
           status: error.status };
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const route = routes[`${req.method} ${url.pathname}`];
  if (!route) return json(res, 404, { error: 'not found' });
  try {
    await route(url, res);
  } catch (error) {
    // The test reads why the library refused (an IdP answer that breaks the spec shows up here).
    json(res, 502, describe(error));
  }
});
server.listen(settings.port, '127.0.0.1', () => console.log(`openid-client RP on ${base}`));
