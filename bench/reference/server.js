// The benchmark's reference: node `oidc-provider` (pinned in package.json / package-lock.json),
// configured like the IdP that bench/run.py sets up, so that each of the IdP's figures can be given
// as a ratio to this one measured in the same run on the same core (issue 20).
//
//   BENCH_REFERENCE='{"port":..., "cc":{"client_id","client_secret"}, "rp":{...},
//                     "user":{"email","password"}}' taskset -c 0 node bench/reference/server.js
//
// What it mirrors of the IdP (bench/run.py):
// - a client_credentials client and a trusted code-flow client (redirect http://127.0.0.1:8080/callback,
//   PKCE S256, client_secret_basic, no consent page), one user with an email and a password;
// - JWT access tokens signed RS256 (one signature per token) for the default resource, through
//   `features.resourceIndicators` with `accessTokenFormat: 'jwt'`; ID tokens RS256 (2048-bit key);
// - refresh-token rotation (a refresh token for the trusted client when it asks for offline_access,
//   without a consent prompt: loadExistingGrant and issueRefreshToken), introspection, revocation; the IdP's TTLs (access 15 min, code 60 s,
//   ID token 1 h, refresh 7 d, session 8 h);
// - the IdP's paths (/authorize, /token, /introspect, /revoke, /jwks.json), so that the same load
//   generators (wrk + bench/post.lua, bench/codeflow.py) drive both.
// Differences that stay: oidc-provider does not introspect JWT access tokens (they are not stored),
// so the introspection scenario asks for a token of a second, opaque-token resource (OPAQUE_RESOURCE);
// its storage is the in-process memory adapter, not PostgreSQL and Redis.
// Logging in goes through its interaction flow (GET /authorize -> 303 /interaction/<uid>, a form,
// POST /interaction/<uid>/login -> 303 back to the authorization, -> 303 to the callback with a code);
// afterwards the `_session` cookie alone carries later authorizations (bench/codeflow.py
// --login-by-redirect).

import crypto from 'node:crypto';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const settings = JSON.parse(process.env.BENCH_REFERENCE || '{}');
for (const field of ['port', 'cc', 'rp', 'user']) {
  if (!settings[field]) {
    console.error(`BENCH_REFERENCE lacks "${field}" (see the head of bench/reference/server.js)`);
    process.exit(2);
  }
}

const ISSUER = `http://127.0.0.1:${settings.port}`;
const REDIRECT_URI = 'http://127.0.0.1:8080/callback';
const JWT_RESOURCE = `${ISSUER}/api`; // the default resource: JWT access tokens, like the IdP's
const OPAQUE_RESOURCE = `${ISSUER}/opaque-api`; // for the introspection scenario only
const ACCOUNT_ID = crypto.randomUUID();

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };

function digest(value) {
  return crypto.createHash('sha256').update(String(value)).digest();
}

function passwordMatches(email, password) {
  // Constant-time (both sides hashed to equal length first); one user, so no password hashing scheme
  // is needed for the bench: the login is done once per run and is not measured.
  const emailOk = crypto.timingSafeEqual(digest(email), digest(settings.user.email));
  const passwordOk = crypto.timingSafeEqual(digest(password), digest(settings.user.password));
  return emailOk && passwordOk;
}

// The trusted client's authorization request asked for offline_access (its scope before oidc-provider
// filtered it; GET or POST /authorize).
function offlineRequested(ctx) {
  if (ctx.oidc.client?.clientId !== settings.rp.client_id) return false;
  const scope = ctx.method === 'POST' ? ctx.oidc.body?.scope : ctx.query.scope;
  return String(scope || '').split(' ').includes('offline_access');
}

function resourceServer(resource) {
  const common = { scope: 'api', accessTokenTTL: 15 * 60 };
  if (resource === JWT_RESOURCE) {
    return { ...common, audience: JWT_RESOURCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
  }
  if (resource === OPAQUE_RESOURCE) {
    return { ...common, audience: OPAQUE_RESOURCE, accessTokenFormat: 'opaque' };
  }
  throw new errors.InvalidTarget();
}

const provider = new Provider(ISSUER, {
  clients: [
    {
      client_id: settings.cc.client_id,
      client_secret: settings.cc.client_secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: settings.rp.client_id,
      client_secret: settings.rp.client_secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'email', 'offline_access'],
  async findAccount(ctx, id) {
    if (id !== ACCOUNT_ID) return undefined;
    return { accountId: id, async claims() { return { sub: id, email: settings.user.email, email_verified: true }; } };
  },
  // The trusted client: consent is implied, as for the IdP's `clients create --trusted` (the
  // first-party pattern of oidc-provider's documentation). The grant is kept in the session.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    if (client.clientId !== settings.rp.client_id) return undefined;
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email offline_access');
    grant.addResourceScope(JWT_RESOURCE, 'api');
    await grant.save();
    return grant;
  },
  // Refresh tokens for the trusted client when its authorization request asks for offline_access, without
  // a consent prompt, as the IdP issues them (its trusted client, `offline_access` in the scope).
  // oidc-provider drops offline_access from the request's scope unless prompt=consent (check_scope.js),
  // so its defaults would never issue one here: the request's own query decides, at the authorization
  // (expiresWithSession: an offline code, whose tokens outlive the session), and that code's refresh
  // token at the token endpoint (issueRefreshToken). Requests without offline_access are unchanged.
  async expiresWithSession(ctx, code) {
    return !code.scopes.has('offline_access') && !offlineRequested(ctx);
  },
  async issueRefreshToken(ctx, client, code) {
    if (!client.grantTypeAllowed('refresh_token')) return false;
    return code.scopes.has('offline_access') || (client.clientId === settings.rp.client_id && !code.expiresWithSession);
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => (oneOf ? oneOf[0] : JWT_RESOURCE),
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource) => resourceServer(resource),
    },
  },
  pkce: { methods: ['S256'], required: () => true },
  rotateRefreshToken: true,
  routes: { authorization: '/authorize', introspection: '/introspect', revocation: '/revoke', jwks: '/jwks.json' },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: {
    AccessToken: 15 * 60,
    ClientCredentials: 15 * 60,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 7 * 86400,
    Session: 8 * 3600,
    Grant: 8 * 3600,
    Interaction: 30 * 60,
  },
});

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readForm(req, limit = 16 * 1024) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > limit) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

// The login page and its POST. The interaction is bound to the `_interaction` cookie
// (SameSite=Lax, so a cross-site POST does not carry it): interactionDetails refuses a request
// without it, which is the form's CSRF protection.
async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'interaction mismatch');
  if (details.prompt.name !== 'login') {
    // the trusted client never gets a consent prompt (loadExistingGrant); anything else is a bench error
    return send(res, 400, `unexpected prompt ${escapeHtml(details.prompt.name)}`);
  }
  if (req.method === 'GET' && !action) {
    return send(res, 200, `<!doctype html><title>Sign in</title>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<input type="hidden" name="uid" value="${escapeHtml(uid)}">
<input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>`);
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    if (!passwordMatches(form.get('email') || '', form.get('password') || '')) {
      return send(res, 401, 'wrong email or password');
    }
    return provider.interactionFinished(req, res, { login: { accountId: ACCOUNT_ID } },
      { mergeWithLastSubmission: false });
  }
  return send(res, 405, 'method not allowed');
}

const oidc = provider.callback();
const INTERACTION = /^\/interaction\/([\w-]+)(?:\/(login))?$/;

const server = http.createServer((req, res) => {
  const match = INTERACTION.exec(new URL(req.url, ISSUER).pathname);
  if (!match) return oidc(req, res);
  return interaction(req, res, match[1], match[2]).catch((error) => {
    if (!res.headersSent) send(res, error instanceof errors.SessionNotFound ? 400 : 500, escapeHtml(error.message));
  });
});
server.keepAliveTimeout = 5000; // as gunicorn's --keep-alive 5 for the IdP
server.listen(settings.port, '127.0.0.1', () => {
  console.log(`oidc-provider reference listening on ${ISSUER} (pid ${process.pid})`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections());
}
