// Load generator for the authorization-code flow, outside the Python process (issue 37): Node's own
// http client with keep-alive, so that a fast server is not hidden behind a slow Python client (the
// reason bench/codeflow.py reported a higher ratio than a Node client did). Same options, same JSON
// as bench/codeflow.py; each flow, as a browser and a relying party make it:
//   GET /authorize?response_type=code&...PKCE S256... (the session cookie) -> 302/303 to the callback
//   POST /token grant_type=authorization_code (HTTP Basic) -> 200 with access_token and id_token
// Signs in once (--login-by-redirect: from /authorize through the server's own redirects to its form,
// as a person is sent; otherwise GET/POST /login), then --concurrency loops share the session cookie.
// A 1 s warm-up is discarded. Time-bounded by --duration; traffic to 127.0.0.1 only.
//   node bench/codeflow.js --url http://127.0.0.1:PORT --client-id ID --client-secret S \
//        --email bench@example.com --password pw --concurrency 8 --duration 10
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');

const REDIRECT_URI = 'http://127.0.0.1:8080/callback';
const REDIRECTS = new Set([302, 303]);

function options(argv) {
  const out = { concurrency: 8, duration: 10 };
  for (let i = 0; i < argv.length; i += 1) {
    let [name, value] = argv[i].split('=', 2);
    if (!name.startsWith('--')) continue;
    name = name.slice(2);
    if (['no-login', 'login-by-redirect'].includes(name)) { out[name] = true; continue; }
    if (value === undefined) { value = argv[i + 1]; i += 1; }
    out[name] = value;
  }
  out.concurrency = Number(out.concurrency);
  out.duration = Number(out.duration);
  return out;
}

function request(agent, url, { method = 'GET', headers = {}, body = null } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

class Jar {
  constructor() { this.cookies = new Map(); }
  take(res) {
    for (const line of res.headers['set-cookie'] || []) {
      const [pair] = line.split(';', 1);
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
  }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

function hiddenFields(html) {
  const fields = {};
  for (const tag of html.match(/<input[^>]*>/g) || []) {
    const name = /name="([^"]+)"/.exec(tag);
    const value = /value="([^"]*)"/.exec(tag);
    if (name && tag.includes('type="hidden"')) fields[name[1]] = value ? value[1].replace(/&amp;/g, '&') : '';
  }
  return fields;
}

function pkce() {
  const verifier = crypto.randomBytes(48).toString('base64url');
  return [verifier, crypto.createHash('sha256').update(verifier).digest('base64url')];
}

function authorizeUrl(base, clientId, challenge, state = 's', scope = 'openid') {
  const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope,
    state, code_challenge: challenge, code_challenge_method: 'S256' });
  return `${base}/authorize?${q}`;
}

async function followOwn(agent, jar, base, res, url) {
  for (let i = 0; i < 10; i += 1) {
    if (!REDIRECTS.has(res.status)) return [res, url];
    const target = new URL(res.headers.location, url).toString();
    if (!target.startsWith(`${base}/`)) return [res, url];
    url = target;
    res = await request(agent, url, { headers: { cookie: jar.header() } });
    jar.take(res);
  }
  throw new Error('more than 10 redirects');
}

async function login(agent, o) {
  const jar = new Jar();
  const form = (fields) => new URLSearchParams({ ...fields, email: o.email, password: o.password }).toString();
  const formHeaders = (body) => ({ cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded',
    'content-length': Buffer.byteLength(body) });
  if (o['login-by-redirect']) {
    let url = authorizeUrl(o.url, o['client-id'], pkce()[1], 'login');
    let res = await request(agent, url);
    jar.take(res);
    [res, url] = await followOwn(agent, jar, o.url, res, url);
    const action = /<form[^>]*action="([^"]+)"/.exec(res.text);
    if (res.status !== 200 || !action) throw new Error(`no login form after /authorize: ${res.status}`);
    const body = form(hiddenFields(res.text));
    const target = new URL(action[1].replace(/&amp;/g, '&'), url).toString();
    res = await request(agent, target, { method: 'POST', headers: formHeaders(body), body });
    jar.take(res);
    [res] = await followOwn(agent, jar, o.url, res, target);
    if (!REDIRECTS.has(res.status) || !String(res.headers.location).startsWith(REDIRECT_URI)) {
      throw new Error(`login by redirect failed: ${res.status} ${res.headers.location}`);
    }
    return jar;
  }
  let res = await request(agent, `${o.url}/login`);
  jar.take(res);
  const body = form(hiddenFields(res.text));
  res = await request(agent, `${o.url}/login`, { method: 'POST', headers: formHeaders(body), body });
  jar.take(res);
  if (res.status !== 302 || !jar.cookies.has('idp_session')) throw new Error(`login failed: ${res.status}`);
  return jar;
}

function percentile(values, pct) {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((pct / 100) * sorted.length + 0.5) - 1))];
}

async function main() {
  const o = options(process.argv.slice(2));
  if (!/^http:\/\/(127\.0\.0\.1|localhost):/.test(o.url || '')) throw new Error('--url must be on 127.0.0.1');
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency + 2 });
  const jar = o['no-login'] ? new Jar() : await login(agent, o);
  const cookie = jar.header();
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(o['client-id'])}:${encodeURIComponent(o['client-secret'])}`).toString('base64')}`;
  const start = performance.now();
  const measureFrom = start + 1000;
  const stopAt = measureFrom + o.duration * 1000;
  const flows = []; const authorizeMs = []; const tokenMs = []; const errors = new Map();
  const fail = (kind) => errors.set(kind, (errors.get(kind) || 0) + 1);

  async function loop() {
    while (performance.now() < stopAt) {
      const [verifier, challenge] = pkce();
      const t0 = performance.now();
      try {
        const r = await request(agent, authorizeUrl(o.url, o['client-id'], challenge), { headers: { cookie } });
        const location = r.headers.location || '';
        const code = location.startsWith(REDIRECT_URI) ? new URL(location).searchParams.get('code') : null;
        if (!REDIRECTS.has(r.status) || !code) { fail(`authorize ${r.status} ${location.slice(0, 60)}`); continue; }
        const t1 = performance.now();
        const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI,
          code_verifier: verifier }).toString();
        const t = await request(agent, `${o.url}/token`, { method: 'POST', body, headers: { authorization: basic,
          'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } });
        const t2 = performance.now();
        if (t.status !== 200 || !t.text.includes('id_token') || !t.text.includes('access_token')) {
          fail(`token ${t.status} ${t.text.slice(0, 80)}`);
        } else if (t0 >= measureFrom && t2 <= stopAt) {
          flows.push(t2 - t0); authorizeMs.push(t1 - t0); tokenMs.push(t2 - t1);
        }
      } catch (err) {
        fail(`socket ${err.code || err.message}`);
      }
    }
  }

  await Promise.all(Array.from({ length: o.concurrency }, loop));
  agent.destroy();
  const round = (v) => Math.round(v * 1000) / 1000;
  const kinds = Object.fromEntries([...errors].sort((a, b) => b[1] - a[1]).slice(0, 5));
  process.stdout.write(`${JSON.stringify({
    client: 'node', concurrency: o.concurrency, flows: flows.length,
    flows_per_s: Math.round((flows.length / o.duration) * 10) / 10,
    rps: Math.round(((2 * flows.length) / o.duration) * 10) / 10,
    p50_ms: round(percentile(flows, 50)), p99_ms: round(percentile(flows, 99)),
    authorize_p50_ms: round(percentile(authorizeMs, 50)), authorize_p99_ms: round(percentile(authorizeMs, 99)),
    token_p50_ms: round(percentile(tokenMs, 50)), token_p99_ms: round(percentile(tokenMs, 99)),
    errors: [...errors.values()].reduce((a, b) => a + b, 0), error_kinds: kinds, stuck_threads: 0,
  })}\n`);
}

// bench/refresh.js shares the options, the http client, the sign-in and the percentiles.
module.exports = { REDIRECT_URI, REDIRECTS, options, request, login, pkce, authorizeUrl, percentile };

if (require.main === module) {
  main().catch((err) => { process.stderr.write(`${err.stack || err}\n`); process.exit(1); });
}
