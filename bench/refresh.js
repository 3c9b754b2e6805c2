// Load generator for the refresh_token grant with rotation (issue 37), beside bench/codeflow.js: Node's
// own http client with keep-alive, the same options and the same sign-in. A rotated refresh token
// cannot be replayed as wrk replays a request (RFC 9700 4.14.2: a token presented twice revokes its
// family), so each of --concurrency loops holds its own chain:
//   one code flow with scope `openid offline_access` (GET /authorize with the session cookie, POST /token
//   grant_type=authorization_code) -> the chain's first refresh token, not measured;
//   then POST /token grant_type=refresh_token (HTTP Basic) with the latest refresh token -> 200 with an
//   access_token and a NEW refresh_token, which replaces the previous one (rotation).
// A refresh that fails is an error and its loop starts a new chain. A 1 s warm-up is discarded.
// After the measurement, one chain checks reuse detection: its previous (rotated) refresh token
// presented again must be refused, and then its latest one too (the family revoked) -> "reuse_detected".
// Time-bounded by --duration; traffic to 127.0.0.1 only.
//   node bench/refresh.js --url http://127.0.0.1:PORT --client-id ID --client-secret S \
//        --email bench@example.com --password pw [--login-by-redirect] --concurrency 8 --duration 10
'use strict';

const http = require('node:http');

const {
  REDIRECT_URI, REDIRECTS, options, request, login, pkce, authorizeUrl, percentile,
} = require('./codeflow.js');

const SCOPE = 'openid offline_access';

function post(agent, url, basic, fields) {
  const body = new URLSearchParams(fields).toString();
  return request(agent, url, { method: 'POST', body, headers: { authorization: basic,
    'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } });
}

function json(text) {
  try { return JSON.parse(text); } catch { return {}; }
}

// One code flow asking for offline_access: the chain's first refresh token (or an Error saying why not).
async function firstRefreshToken(agent, o, cookie, basic) {
  const [verifier, challenge] = pkce();
  const r = await request(agent, authorizeUrl(o.url, o['client-id'], challenge, 's', SCOPE), { headers: { cookie } });
  const location = r.headers.location || '';
  const code = location.startsWith(REDIRECT_URI) ? new URL(location).searchParams.get('code') : null;
  if (!REDIRECTS.has(r.status) || !code) throw new Error(`authorize ${r.status} ${location.slice(0, 60)}`);
  const t = await post(agent, `${o.url}/token`, basic, { grant_type: 'authorization_code', code,
    redirect_uri: REDIRECT_URI, code_verifier: verifier });
  const token = t.status === 200 ? json(t.text).refresh_token : null;
  if (!token) throw new Error(`no refresh_token from the code flow: ${t.status} ${t.text.slice(0, 80)}`);
  return token;
}

async function refresh(agent, o, basic, token) {
  return post(agent, `${o.url}/token`, basic, { grant_type: 'refresh_token', refresh_token: token });
}

async function main() {
  const o = options(process.argv.slice(2));
  if (!/^http:\/\/(127\.0\.0\.1|localhost):/.test(o.url || '')) throw new Error('--url must be on 127.0.0.1');
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency + 2 });
  const cookie = (await login(agent, o)).header();
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(o['client-id'])}:${encodeURIComponent(o['client-secret'])}`).toString('base64')}`;
  const start = performance.now();
  const measureFrom = start + 1000;
  const stopAt = measureFrom + o.duration * 1000;
  const times = []; const errors = new Map(); const chains = [];
  let started = 0;
  const fail = (kind) => errors.set(kind, (errors.get(kind) || 0) + 1);

  async function loop(index) {
    const chain = { previous: null, current: null };
    chains[index] = chain;
    while (performance.now() < stopAt) {
      try {
        if (!chain.current) {
          chain.current = await firstRefreshToken(agent, o, cookie, basic);
          chain.previous = null;
          started += 1;
          continue;
        }
        const t0 = performance.now();
        const r = await refresh(agent, o, basic, chain.current);
        const t1 = performance.now();
        const answer = r.status === 200 ? json(r.text) : {};
        if (!answer.access_token || !answer.refresh_token) {
          fail(`refresh ${r.status} ${r.text.slice(0, 80)}`);
          chain.current = null; // a new chain
        } else if (answer.refresh_token === chain.current) {
          fail('refresh_token not rotated');
        } else {
          [chain.previous, chain.current] = [chain.current, answer.refresh_token];
          if (t0 >= measureFrom && t1 <= stopAt) times.push(t1 - t0);
        }
      } catch (err) {
        fail(err.code ? `socket ${err.code}` : err.message.slice(0, 100));
        chain.current = null;
      }
    }
  }

  await Promise.all(Array.from({ length: o.concurrency }, (_, i) => loop(i)));

  // Reuse detection (RFC 9700 4.14.2), outside the measurement: a rotated token presented again is
  // refused and revokes its family, so the chain's latest token is refused afterwards too.
  let reuseDetected = null;
  const checked = chains.find((c) => c && c.previous && c.current);
  if (checked) {
    const replay = await refresh(agent, o, basic, checked.previous);
    const latest = await refresh(agent, o, basic, checked.current);
    reuseDetected = replay.status === 400 && json(replay.text).error === 'invalid_grant'
      && latest.status === 400 && json(latest.text).error === 'invalid_grant';
  }
  agent.destroy();
  const round = (v) => Math.round(v * 1000) / 1000;
  const kinds = Object.fromEntries([...errors].sort((a, b) => b[1] - a[1]).slice(0, 5));
  process.stdout.write(`${JSON.stringify({
    client: 'node', concurrency: o.concurrency, refreshes: times.length,
    refreshes_per_s: Math.round((times.length / o.duration) * 10) / 10,
    rps: Math.round((times.length / o.duration) * 10) / 10,
    p50_ms: round(percentile(times, 50)), p99_ms: round(percentile(times, 99)),
    chains_started: started, reuse_detected: reuseDetected,
    errors: [...errors.values()].reduce((a, b) => a + b, 0), error_kinds: kinds,
  })}\n`);
}

main().catch((err) => { process.stderr.write(`${err.stack || err}\n`); process.exit(1); });
