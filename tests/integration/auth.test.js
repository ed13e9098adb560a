// Headless Auth against the real binary and its SQLite file, and the WebSocket with the tokens it
// issues: POST /api/v1/headless/auth_token by community_member_id (number and numeric string),
// email, sso_user_id and sso_id (the exact response, the JWT's claims and signature, expiry times),
// its 400s and 404s; the refresh flow (no app token; the new token is the same member's);
// revoking access tokens (204, idempotent; live sockets that used it get `remote` and close 1000
// in under a second, reconnects are unauthorized, the member's other tokens keep working;
// forged and other-community tokens 401) and refresh tokens (204, then 401); and that a member
// never obtains or uses another member's identity: subscriptions to another member's channels are
// rejected, broadcasts to another member never arrive, a tampered token is refused. Also forged,
// expired (--access-token-ttl 1) and other-community tokens on the WebSocket.

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer, stopAll, mintToken, SECRET } = require('./lib/server');
const { api, publish } = require('./lib/http');
const { CableClient, frames, closeAll, ident, isPing } = require('./lib/clients');

const MEMBERS = '/api/admin/v2/community_members';
const AUTH_TOKEN = '/api/v1/headless/auth_token';
const REFRESH = '/api/v1/headless/access_token/refresh';
const REVOKE_ACCESS = '/api/v1/headless/access_token/revoke';
const REVOKE_REFRESH = '/api/v1/headless/refresh_token/revoke';
const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const REFRESH_RE = /^[A-Za-z0-9_-]{43}$/;
const REFRESH_TTL_S = 30 * 24 * 3600;
const OTHER_SECRET = 'another-secret-entirely-0123456789abcdef';

const errorBody = (message, details = {}) => ({ success: false, message, error_details: details });
const fieldError = (field, problem) => errorBody(`${field} ${problem}`, { [field]: [problem] });

/** {header, claims, signature} of a JWT, without checking it. */
function decodeJWT(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signature: s,
  };
}

/** The token with its claims replaced (signature kept: no longer valid). */
function tamper(token, change) {
  const [h, p, s] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), ...change };
  return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
}

function assertSignedWith(token, secret) {
  const [h, p, s] = token.split('.');
  assert.equal(crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url'), s, 'HS256 signature');
}

function assertJSON(r, status, body, what = '') {
  assert.equal(r.status, status, `${what} status; body ${r.body}`);
  assert.deepEqual(r.json(), body, what);
}

const notif = (memberId) => (memberId === undefined
  ? ident({ channel: 'NotificationChannel' })
  : ident({ channel: 'NotificationChannel', community_member_id: memberId }));

describe('Headless Auth', () => {
  let server;
  let clients = [];
  let alice; // members: {id, email, ...}
  let bob;
  let carol;

  before(async () => {
    // Several event loops, so the sockets cut by a revocation live on different threads.
    server = await startServer({ args: ['--threads', '4'] });
    const mk = async (body) => {
      const r = await api(server, 'POST', MEMBERS, body);
      assert.equal(r.status, 201, r.body);
      return r.json();
    };
    alice = await mk({ email: 'alice@example.com', name: 'Alice Liddell', sso_user_id: 'sso-alice' });
    bob = await mk({ email: 'bob@example.com', name: 'Bob Builder', sso_user_id: 'sso-bob' });
    carol = await mk({ email: 'carol@example.com', name: 'Carol' });
  });
  afterEach(() => { closeAll(clients); clients = []; });
  after(stopAll);

  /** POST auth_token with body; asserts 200 and returns the grant. */
  async function grant(body) {
    const r = await api(server, 'POST', AUTH_TOKEN, body);
    assert.equal(r.status, 200, r.body);
    return r.json();
  }
  async function refresh(refreshToken, opts = { token: null }) {
    return api(server, 'PATCH', REFRESH, { refresh_token: refreshToken }, opts);
  }
  async function welcomed(token, opts = {}) {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token, ...opts });
    clients.push(c);
    return c;
  }
  /** Connects with token and asserts the server sends exactly the disconnect(reason) and close 1000. */
  async function assertRefused(token, reason, opts = {}) {
    const c = await CableClient.connect(server.wsUrl, { token, ...opts });
    clients.push(c);
    const info = await c.waitClose();
    assert.deepEqual(c.frames.map((f) => f.text), [frames.disconnect(reason, false)]);
    assert.equal(info.code, 1000);
  }

  /** Asserts a full auth_token grant for member, issued between t0 and t1 (ms), ttl seconds. */
  function assertGrant(g, member, t0, t1, ttl = 3600) {
    assert.deepEqual(Object.keys(g), ['access_token', 'refresh_token', 'access_token_expires_at',
      'refresh_token_expires_at', 'community_member_id', 'community_id']);
    assert.equal(g.community_member_id, member.id);
    assert.equal(g.community_id, 1);
    assert.match(g.access_token, JWT_RE);
    assert.match(g.refresh_token, REFRESH_RE);
    assert.match(g.access_token_expires_at, ISO_MS_RE);
    assert.match(g.refresh_token_expires_at, ISO_MS_RE);
    const lo = Math.floor(t0 / 1000) - 1;
    const hi = Math.ceil(t1 / 1000) + 1;
    const accessAt = Date.parse(g.access_token_expires_at) / 1000;
    const refreshAt = Date.parse(g.refresh_token_expires_at) / 1000;
    assert.ok(accessAt >= lo + ttl && accessAt <= hi + ttl, `access_token_expires_at ${g.access_token_expires_at} is not now + ${ttl} s`);
    assert.ok(refreshAt >= lo + REFRESH_TTL_S && refreshAt <= hi + REFRESH_TTL_S,
      `refresh_token_expires_at ${g.refresh_token_expires_at} is not now + 30 days`);
    const { header, claims } = decodeJWT(g.access_token);
    assert.equal(header.alg, 'HS256');
    assert.equal(claims.community_id, 1);
    assert.equal(claims.community_member_id, member.id);
    assert.equal(claims.exp, accessAt, 'exp claim equals access_token_expires_at');
    assert.equal(typeof claims.jti, 'string');
    assert.ok(claims.jti.length >= 16, `jti ${claims.jti}`);
    assertSignedWith(g.access_token, SECRET);
  }

  describe('POST /api/v1/headless/auth_token', () => {
    const keys = [
      ['community_member_id as a number', () => ({ community_member_id: alice.id }), () => alice],
      ['community_member_id as a numeric string', () => ({ community_member_id: String(bob.id) }), () => bob],
      ['email', () => ({ email: 'carol@example.com' }), () => carol],
      ['email in another case, with spaces', () => ({ email: '  ALICE@Example.Com ' }), () => alice],
      ['sso_user_id', () => ({ sso_user_id: 'sso-bob' }), () => bob],
      ['sso_id', () => ({ sso_id: 'sso-alice' }), () => alice],
    ];
    for (const [what, body, who] of keys) {
      it(`by ${what}: 200, the exact shape, a JWT for that member and a refresh token`, async () => {
        const t0 = Date.now();
        const g = await grant(body());
        assertGrant(g, who(), t0, Date.now());
      });
    }

    it("Circle's order of preference when several are given: sso_user_id, then community_member_id, then email", async () => {
      const g = await grant({ community_member_id: carol.id, email: 'alice@example.com', sso_user_id: 'sso-bob' });
      assert.equal(g.community_member_id, bob.id);
      const g2 = await grant({ email: 'bob@example.com', community_member_id: carol.id });
      assert.equal(g2.community_member_id, carol.id);
    });

    it('each call issues new tokens (new jti, new refresh token)', async () => {
      const a = await grant({ community_member_id: alice.id });
      const b = await grant({ community_member_id: alice.id });
      assert.notEqual(a.access_token, b.access_token);
      assert.notEqual(decodeJWT(a.access_token).claims.jti, decodeJWT(b.access_token).claims.jti);
      assert.notEqual(a.refresh_token, b.refresh_token);
    });

    it('the issued access token connects (header and ?token=) and is welcomed', async () => {
      const g = await grant({ email: 'alice@example.com' });
      await welcomed(g.access_token);
      await welcomed(g.access_token, { tokenIn: 'query' });
    });

    it('an unknown member: 404 "Community member not found"', async () => {
      const nf = errorBody('Community member not found. Please provide a valid SSO User ID, community member ID, or email.');
      assertJSON(await api(server, 'POST', AUTH_TOKEN, { community_member_id: 999999 }), 404, nf, 'id');
      assertJSON(await api(server, 'POST', AUTH_TOKEN, { community_member_id: '999999' }), 404, nf, 'id string');
      assertJSON(await api(server, 'POST', AUTH_TOKEN, { email: 'nobody@example.com' }), 404, nf, 'email');
      assertJSON(await api(server, 'POST', AUTH_TOKEN, { sso_user_id: 'sso-nobody' }), 404, nf, 'sso_user_id');
      assertJSON(await api(server, 'POST', AUTH_TOKEN, { sso_id: 'SSO-ALICE' }), 404, nf, 'sso ids are exact');
    });

    it('none of the keys: 400', async () => {
      for (const body of [{}, { name: 'Alice' }, { community_member_id: null }, { email: null, sso_user_id: null }]) {
        const r = await api(server, 'POST', AUTH_TOKEN, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.body}`);
        const b = r.json();
        assert.equal(b.success, false);
        assert.equal(typeof b.message, 'string');
      }
    });

    const invalidIds = [0, -1, 2.5, true, '', 'abc', `${1}abc`, '1.5', [1], { id: 1 }];
    for (const v of invalidIds) {
      it(`community_member_id ${JSON.stringify(v)}: 400 "community_member_id is invalid"`, async () => {
        assertJSON(await api(server, 'POST', AUTH_TOKEN, { community_member_id: v }), 400,
          fieldError('community_member_id', 'is invalid'));
      });
    }

    it('email or sso_user_id that is not a string: 400 naming it', async () => {
      assertJSON(await api(server, 'POST', AUTH_TOKEN, { email: 5 }), 400, fieldError('email', 'is invalid'));
      assertJSON(await api(server, 'POST', AUTH_TOKEN, { sso_user_id: 5 }), 400, fieldError('sso_user_id', 'is invalid'));
    });

    it('malformed JSON: 400', async () => {
      assertJSON(await api(server, 'POST', AUTH_TOKEN, '{"email":'), 400, errorBody('Request body is not valid JSON'));
    });
  });

  describe('PATCH /api/v1/headless/access_token/refresh', () => {
    it('needs no app token and answers exactly {access_token, access_token_expires_at} for the same member', async () => {
      const g = await grant({ community_member_id: alice.id });
      const t0 = Date.now();
      const r = await refresh(g.refresh_token);
      const t1 = Date.now();
      assert.equal(r.status, 200, r.body);
      const b = r.json();
      assert.deepEqual(Object.keys(b), ['access_token', 'access_token_expires_at']);
      assert.match(b.access_token, JWT_RE);
      assert.match(b.access_token_expires_at, ISO_MS_RE);
      const { header, claims } = decodeJWT(b.access_token);
      assert.equal(header.alg, 'HS256');
      assert.deepEqual({ community_id: claims.community_id, community_member_id: claims.community_member_id },
        { community_id: 1, community_member_id: alice.id });
      assert.equal(claims.exp, Date.parse(b.access_token_expires_at) / 1000);
      assert.ok(claims.exp >= Math.floor(t0 / 1000) - 1 + 3600 && claims.exp <= Math.ceil(t1 / 1000) + 1 + 3600);
      assert.notEqual(claims.jti, decodeJWT(g.access_token).claims.jti);
      assertSignedWith(b.access_token, SECRET);
    });

    it("refresh tokens are bound to their member: each refreshes to its own member's id, many times", async () => {
      const ga = await grant({ community_member_id: alice.id });
      const gb = await grant({ community_member_id: bob.id });
      for (let i = 0; i < 3; i++) {
        for (const [g, m] of [[ga, alice], [gb, bob]]) {
          const r = await refresh(g.refresh_token);
          assert.equal(r.status, 200, r.body);
          assert.equal(decodeJWT(r.json().access_token).claims.community_member_id, m.id);
        }
      }
    });

    it('the refreshed access token connects and may subscribe only to its own member channels', async () => {
      const g = await grant({ community_member_id: bob.id });
      const r = await refresh(g.refresh_token);
      assert.equal(r.status, 200, r.body);
      const c = await welcomed(r.json().access_token);
      assert.equal(await c.subscribe(notif(bob.id)), 'confirm');
      assert.equal(await c.subscribe(notif(alice.id)), 'reject');
    });

    it('works with an app token too (it is ignored)', async () => {
      const g = await grant({ community_member_id: carol.id });
      const r = await refresh(g.refresh_token, {});
      assert.equal(r.status, 200, r.body);
    });

    it('an unknown refresh token: 404 "Refresh token not found."', async () => {
      assertJSON(await refresh('x'.repeat(43)), 404, errorBody('Refresh token not found.'));
      assertJSON(await refresh('not-a-token'), 404, errorBody('Refresh token not found.'));
    });

    it("an access token is not a refresh token: 401", async () => {
      const g = await grant({ community_member_id: alice.id });
      assertJSON(await refresh(g.access_token), 404, errorBody('Refresh token not found.'));
    });

    it("missing: Circle's 404 \"Missing parameter\"; not a string: 400 naming refresh_token", async () => {
      assertJSON(await api(server, 'PATCH', REFRESH, {}, { token: null }), 404, { success: false, message: 'Oops! Missing parameter. Please try again later.', error_details: { message: 'Missing parameter: refresh_token' } });
      const r = await api(server, 'PATCH', REFRESH, { refresh_token: 5 }, { token: null });
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(Object.keys(r.json().error_details), ['refresh_token']);
      const e = await api(server, 'PATCH', REFRESH, '{oops', { token: null });
      assertJSON(e, 400, errorBody('Request body is not valid JSON'));
    });
  });

  describe('POST /api/v1/headless/refresh_token/revoke', () => {
    it('204 with an empty body; then refreshing with it is 401 and revoking it again is 401', async () => {
      const g = await grant({ community_member_id: alice.id });
      assert.equal((await refresh(g.refresh_token)).status, 200);
      const r = await api(server, 'POST', REVOKE_REFRESH, { refresh_token: g.refresh_token });
      assert.equal(r.status, 204, r.body);
      assert.equal(r.body, '');
      assertJSON(await refresh(g.refresh_token), 404, errorBody('Refresh token not found.'));
      assertJSON(await api(server, 'POST', REVOKE_REFRESH, { refresh_token: g.refresh_token }), 404, errorBody('Refresh token not found.'));
    });

    it("the member's other refresh tokens, and the access token issued with it, keep working", async () => {
      const g1 = await grant({ community_member_id: bob.id });
      const g2 = await grant({ community_member_id: bob.id });
      assert.equal((await api(server, 'POST', REVOKE_REFRESH, { refresh_token: g1.refresh_token })).status, 204);
      const r = await refresh(g2.refresh_token);
      assert.equal(r.status, 200, r.body);
      await welcomed(g1.access_token);
    });

    it('an unknown refresh token: 404; missing: 404 "Missing parameter"', async () => {
      assertJSON(await api(server, 'POST', REVOKE_REFRESH, { refresh_token: 'y'.repeat(43) }), 404, errorBody('Refresh token not found.'));
      assertJSON(await api(server, 'POST', REVOKE_REFRESH, {}), 404, { success: false, message: 'Oops! Missing parameter. Please try again later.', error_details: { message: 'Missing parameter: refresh_token' } });
    });
  });

  describe('POST /api/v1/headless/access_token/revoke', () => {
    it('cuts every live socket that used the token in under 1 s; the others stay; reconnecting is unauthorized', async (tc) => {
      const g1 = await grant({ community_member_id: alice.id });
      const g2 = await grant({ community_member_id: alice.id });
      const gb = await grant({ community_member_id: bob.id });
      const a1 = await welcomed(g1.access_token);
      const a1q = await welcomed(g1.access_token, { tokenIn: 'query' });
      const a2 = await welcomed(g2.access_token);
      const b = await welcomed(gb.access_token);
      for (const [c, m] of [[a1, alice], [a1q, alice], [a2, alice], [b, bob]]) {
        assert.equal(await c.subscribe(notif(m.id)), 'confirm');
      }

      const t0 = Date.now();
      const r = await api(server, 'POST', REVOKE_ACCESS, { access_token: g1.access_token });
      assert.equal(r.status, 204, r.body);
      assert.equal(r.body, '');
      const [i1, i2] = await Promise.all([a1.waitClose(5000), a1q.waitClose(5000)]);
      const elapsed = Date.now() - t0; // from sending the revoke to both close frames received
      tc.diagnostic(`both sockets closed ${elapsed} ms after the revoke was sent`);
      // Within a second; a sanitized build runs several times slower.
      const bound = process.env.CABLED_SANITIZED ? 3000 : 1000;
      assert.ok(elapsed < bound, `the sockets closed ${elapsed} ms after the revoke was sent`);
      for (const [c, info] of [[a1, i1], [a1q, i2]]) {
        const texts = c.frames.map((f) => f.text).filter((s) => !isPing(s));
        assert.equal(texts.at(-1), frames.disconnect('remote', false));
        assert.equal(info.code, 1000);
      }

      // The member's other token and the other member are untouched.
      await a2.barrier();
      await b.barrier();
      assert.equal(a2.closeInfo, null);
      assert.equal(b.closeInfo, null);
      await publish(server, { stream: `notification-channel-${alice.id}`, data: { n: 1 } });
      await a2.expect(frames.data(notif(alice.id), '{"n":1}'));
      assert.deepEqual(a2.nonPings(), []);

      await assertRefused(g1.access_token, 'unauthorized');
      await assertRefused(g1.access_token, 'unauthorized', { tokenIn: 'query' });
      await welcomed(g2.access_token);
    });

    it('revoking twice: 204, then Circle\'s 422 "The access token not found."', async () => {
      const g = await grant({ community_member_id: carol.id });
      assert.equal((await api(server, 'POST', REVOKE_ACCESS, { access_token: g.access_token })).status, 204);
      assertJSON(await api(server, 'POST', REVOKE_ACCESS, { access_token: g.access_token }), 422, errorBody('The access token not found.'));
      await assertRefused(g.access_token, 'unauthorized');
    });

    it('the refresh token issued with a revoked access token still refreshes, to a token that works', async () => {
      const g = await grant({ community_member_id: carol.id });
      assert.equal((await api(server, 'POST', REVOKE_ACCESS, { access_token: g.access_token })).status, 204);
      const r = await refresh(g.refresh_token);
      assert.equal(r.status, 200, r.body);
      await welcomed(r.json().access_token);
    });

    it('a refreshed access token can be revoked the same way', async () => {
      const g = await grant({ community_member_id: bob.id });
      const t = (await refresh(g.refresh_token)).json().access_token;
      const c = await welcomed(t);
      assert.equal((await api(server, 'POST', REVOKE_ACCESS, { access_token: t })).status, 204);
      await c.waitClose(1000);
      assert.equal(c.frames.map((f) => f.text).filter((s) => !isPing(s)).at(-1), frames.disconnect('remote', false));
    });

    it('an expired token of this community: 422 "The access token is expired."', async () => {
      const r = await api(server, 'POST', REVOKE_ACCESS, { access_token: server.token(alice.id, { ttl: -10 }) });
      assertJSON(r, 422, errorBody('The access token is expired.'));
    });

    it('a forged, tampered, other-community or garbage token: 422 "The access token is invalid.", and nobody is cut', async () => {
      const g = await grant({ community_member_id: alice.id });
      const c = await welcomed(g.access_token);
      const invalid = errorBody('The access token is invalid.');
      const bad = [
        ['signed with another key', mintToken(alice.id, { secret: OTHER_SECRET })],
        ['the live token re-signed with another key', (() => {
          const [h, p] = g.access_token.split('.');
          return `${h}.${p}.${crypto.createHmac('sha256', OTHER_SECRET).update(`${h}.${p}`).digest('base64url')}`;
        })()],
        ['the live token with its member changed', tamper(g.access_token, { community_member_id: bob.id })],
        ['another community', server.token(alice.id, { community: 2 })],
        ['not a JWT', 'a.b.c'],
        ['a refresh token', g.refresh_token],
      ];
      for (const [what, tok] of bad) {
        assertJSON(await api(server, 'POST', REVOKE_ACCESS, { access_token: tok }), 422, invalid, what);
      }
      await c.barrier();
      assert.equal(c.closeInfo, null, 'the live socket was not cut');
    });

    it('missing: 404 "Missing parameter"', async () => {
      assertJSON(await api(server, 'POST', REVOKE_ACCESS, {}), 404, { success: false, message: 'Oops! Missing parameter. Please try again later.', error_details: { message: 'Missing parameter: access_token' } });
    });
  });

  describe("a member never uses another member's identity", () => {
    const channels = ['NotificationChannel', 'ChatRoomChannel', 'Chats::CommunityMemberThreadsChannel'];

    it("alice's token: her own member channels confirm, bob's are rejected (number and string ids)", async () => {
      const g = await grant({ community_member_id: alice.id });
      const c = await welcomed(g.access_token);
      for (const channel of channels) {
        assert.equal(await c.subscribe(ident({ channel })), 'confirm', channel);
        assert.equal(await c.subscribe(ident({ channel, community_member_id: alice.id })), 'confirm', channel);
        assert.equal(await c.subscribe(ident({ channel, community_member_id: String(alice.id) })), 'confirm', channel);
        assert.equal(await c.subscribe(ident({ channel, community_member_id: bob.id })), 'reject', channel);
        assert.equal(await c.subscribe(ident({ channel, community_member_id: String(bob.id) })), 'reject', channel);
      }
    });

    it("a broadcast to bob's notifications never reaches alice's socket (fenced by one to alice)", async () => {
      const c = await welcomed((await grant({ community_member_id: alice.id })).access_token);
      assert.equal(await c.subscribe(notif()), 'confirm');
      assert.equal(await c.subscribe(notif(bob.id)), 'reject');
      await publish(server, { stream: `notification-channel-${bob.id}`, data: { secret: 'for bob' } });
      await publish(server, { stream: `notification-channel-${alice.id}`, data: { fence: 1 } });
      await c.expect(frames.data(notif(), '{"fence":1}'));
      assert.deepEqual(c.nonPings(), []);
      assert.ok(!c.frames.some((f) => f.text.includes('for bob')));
    });

    it("alice's refreshed token is still alice's: bob's channels are rejected", async () => {
      const g = await grant({ email: 'alice@example.com' });
      const r = await refresh(g.refresh_token);
      const c = await welcomed(r.json().access_token);
      assert.equal(await c.subscribe(notif(bob.id)), 'reject');
      assert.equal(await c.subscribe(notif(alice.id)), 'confirm');
    });

    it("alice's token with its member claim changed to bob's: unauthorized", async () => {
      const g = await grant({ community_member_id: alice.id });
      await assertRefused(tamper(g.access_token, { community_member_id: bob.id }), 'unauthorized');
      await assertRefused(tamper(g.access_token, { community_member_id: String(bob.id) }), 'unauthorized');
    });

    it("revoking alice's token never cuts bob's socket", async () => {
      const ga = await grant({ community_member_id: alice.id });
      const gb = await grant({ community_member_id: bob.id });
      const cb = await welcomed(gb.access_token);
      const ca = await welcomed(ga.access_token);
      assert.equal((await api(server, 'POST', REVOKE_ACCESS, { access_token: ga.access_token })).status, 204);
      await ca.waitClose(1000);
      await cb.barrier();
      assert.equal(cb.closeInfo, null);
    });
  });

  describe('WebSocket with tokens the server did not issue', () => {
    it('signed with another key: unauthorized', async () => {
      await assertRefused(mintToken(alice.id, { secret: OTHER_SECRET }), 'unauthorized');
    });
    it('of another community: unauthorized', async () => {
      await assertRefused(server.token(alice.id, { community: 2 }), 'unauthorized');
    });
    it('expired (cabled token --ttl -10): token_expired', async () => {
      await assertRefused(server.token(alice.id, { ttl: -10 }), 'token_expired');
      await assertRefused(server.token(alice.id, { ttl: -10 }), 'token_expired', { tokenIn: 'query' });
    });
    it('for a member that does not exist (signed with the key): unauthorized, and 401 on the API', async () => {
      const ghost = server.token(999999);
      await assertRefused(ghost, 'unauthorized');
      await assertRefused(ghost, 'unauthorized', { tokenIn: 'query' });
      assertJSON(await api(server, 'GET', '/api/headless/v1/notifications', undefined, { token: ghost }), 401,
        errorBody('The access token is invalid.'));
      assertJSON(await api(server, 'GET', '/api/headless/v1/messages', undefined, { token: ghost }), 401,
        errorBody('The access token is invalid.'));
    });
  });

  describe('deactivated and deleted members', () => {
    const MISSING = errorBody('Oops! Missing record. Please try again later.',
      { message: 'Missing record: community member' });

    /** A new member with a grant and two live sockets, one subscribed to its notifications. */
    async function liveMember(name) {
      const r = await api(server, 'POST', MEMBERS, { email: `${name}@example.com`, name });
      assert.equal(r.status, 201, r.body);
      const m = r.json();
      const g = await grant({ community_member_id: m.id });
      const a = await welcomed(g.access_token);
      assert.equal(await a.subscribe(notif()), 'confirm');
      const b = await welcomed(g.access_token, { tokenIn: 'query' });
      return { m, g, sockets: [a, b] };
    }

    async function assertCut(sockets) {
      for (const c of sockets) {
        await c.expect(frames.disconnect('remote', false), { what: 'the disconnect of a removed member' });
        assert.equal((await c.waitClose()).code, 1000);
      }
    }

    async function assertLockedOut(m, g) {
      await assertRefused(g.access_token, 'unauthorized');
      assertJSON(await api(server, 'GET', '/api/headless/v1/notifications', undefined, { token: g.access_token }), 401,
        errorBody('The access token is invalid.'));
      assertJSON(await api(server, 'POST', AUTH_TOKEN, { community_member_id: m.id }), 404,
        errorBody('Community member not found. Please provide a valid SSO User ID, community member ID, or email.'));
      assertJSON(await refresh(g.refresh_token), 404, errorBody('Refresh token not found.'));
    }

    it('DELETE /api/admin/v2/community_members/:id deactivates: sockets cut on every node, tokens refused', async () => {
      const { m, g, sockets } = await liveMember('dora');
      const r = await api(server, 'DELETE', `${MEMBERS}/${m.id}`);
      assertJSON(r, 200, { message: 'The community member has been removed from the community.' });
      await assertCut(sockets);
      await assertLockedOut(m, g);
      // Still there (shown), just inactive; a second deactivation finds nothing to do.
      assert.equal((await api(server, 'GET', `${MEMBERS}/${m.id}`)).status, 200);
      assertJSON(await api(server, 'DELETE', `${MEMBERS}/${m.id}`), 404, MISSING);
      // Alice is untouched.
      await welcomed(server.token(alice.id));
    });

    it('PUT /api/admin/v2/community_members/:id/delete_member deletes: sockets cut, rooms left, tokens refused', async () => {
      const { m, g, sockets } = await liveMember('eddie');
      const room = await api(server, 'POST', '/api/admin/v2/chat_rooms',
        { kind: 'group_chat', name: 'With Eddie', community_member_ids: [alice.id, m.id] });
      assert.equal(room.status, 201, room.body);
      const uuid = room.json().chat_room.uuid;
      const r = await api(server, 'PUT', `${MEMBERS}/${m.id}/delete_member`);
      assertJSON(r, 200, { message: 'Member deleted successfully.' });
      await assertCut(sockets);
      await assertLockedOut(m, g);
      assertJSON(await api(server, 'GET', `${MEMBERS}/${m.id}`), 404, MISSING);
      assertJSON(await api(server, 'PUT', `${MEMBERS}/${m.id}/delete_member`), 404, MISSING);
      const ga = await grant({ community_member_id: alice.id });
      const list = await api(server, 'GET', `/api/headless/v1/messages/${uuid}/chat_room_participants`, undefined,
        { token: ga.access_token });
      assert.deepEqual(list.json().records.map((p) => p.community_member_id), [alice.id]);
    });

    it('unknown or malformed ids: 404 in Circle\'s shape; the app token is required', async () => {
      for (const path of [`${MEMBERS}/999999`, `${MEMBERS}/abc`, `${MEMBERS}/0`]) {
        assertJSON(await api(server, 'DELETE', path), 404, MISSING, path);
      }
      assertJSON(await api(server, 'PUT', `${MEMBERS}/999999/delete_member`), 404, MISSING);
      assert.equal((await api(server, 'DELETE', `${MEMBERS}/${carol.id}`, undefined, { token: null })).status, 401);
      assert.equal((await api(server, 'GET', `${MEMBERS}/${carol.id}`)).json().email, 'carol@example.com');
    });
  });
});

describe('Headless Auth with --access-token-ttl 1', () => {
  let server;
  const clients = [];
  before(async () => { server = await startServer({ args: ['--access-token-ttl', '1'] }); });
  after(() => { closeAll(clients); return stopAll(); });

  it('issues tokens that expire after 1 s; then the WebSocket says token_expired; a refresh gives a fresh one', async () => {
    const m = await api(server, 'POST', MEMBERS, { email: 'short@example.com', name: 'Short Lived' });
    assert.equal(m.status, 201, m.body);
    const t0 = Date.now();
    const r = await api(server, 'POST', AUTH_TOKEN, { community_member_id: m.json().id });
    const t1 = Date.now();
    assert.equal(r.status, 200, r.body);
    const g = r.json();
    const exp = decodeJWT(g.access_token).claims.exp;
    assert.ok(exp >= Math.floor(t0 / 1000) && exp <= Math.ceil(t1 / 1000) + 1, `exp ${exp} is not now + 1 s`);
    assert.equal(Date.parse(g.access_token_expires_at) / 1000, exp);
    const refreshAt = Date.parse(g.refresh_token_expires_at) / 1000;
    assert.ok(refreshAt >= Math.floor(t0 / 1000) - 1 + REFRESH_TTL_S, 'the refresh token still lives 30 days');

    // Wait until the token is past its exp second by the wall clock (at most ~2 s).
    const wait = (exp + 1) * 1000 + 50 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const c = await CableClient.connect(server.wsUrl, { token: g.access_token });
    clients.push(c);
    const info = await c.waitClose();
    assert.deepEqual(c.frames.map((f) => f.text), [frames.disconnect('token_expired', false)]);
    assert.equal(info.code, 1000);

    // A 1 s token runs to the end of the second it was issued in (exp is in whole seconds): ask
    // for it just after a second begins, so the connect below has most of a second.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    const rr = await api(server, 'PATCH', REFRESH, { refresh_token: g.refresh_token }, { token: null });
    assert.equal(rr.status, 200, rr.body);
    const fresh = await CableClient.connectWelcomed(server.wsUrl, { token: rr.json().access_token });
    clients.push(fresh);
  });
});
