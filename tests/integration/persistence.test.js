// What the database keeps across restarts of the real binary (SQLite, or PostgreSQL when
// CABLED_TEST_PG_URL is set: see lib/server.js).
// (a) A clean restart (SIGTERM, then the same --db without --app-token, --allowed-origin or
// --secret): the stored app token, Origins and generated signing key still work; members are
// listed exactly as before; old access tokens connect, old refresh tokens refresh, revoked access
// and refresh tokens stay revoked; `cabled token --db` signs with the stored key; ids are not
// reused; a flag given again replaces the stored app token and Origins, and --secret is used
// without being stored.
// (b) kill -9 in the middle of a burst of 300 concurrent member creations (20 in flight): after a
// restart on the same file, every creation that was answered 201 is listed exactly as answered,
// nothing is listed twice or invented, and each creation cut off by the kill either exists or can
// be made again.

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, stopAll, mintToken, testDatabase, SECRET, ORIGIN } = require('./lib/server');
const { api } = require('./lib/http');
const { CableClient, frames, closeAll, ident } = require('./lib/clients');

const MEMBERS = '/api/admin/v2/community_members';
const AUTH_TOKEN = '/api/v1/headless/auth_token';
const REFRESH = '/api/v1/headless/access_token/refresh';
const REVOKE_ACCESS = '/api/v1/headless/access_token/revoke';
const REVOKE_REFRESH = '/api/v1/headless/refresh_token/revoke';
const APP = 'persistence-app-token';
const errorBody = (message) => ({ success: false, message, error_details: {} });

/** A temporary directory for a database that outlives the servers started on it. */
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-db-'));
  return { dir, db: testDatabase(dir), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Starts cabled on db with only the args given (plus --listen and a short drain). appToken is
 *  what the helpers send; it need not be on the command line. */
function startOn(db, args, appToken = APP) {
  return startServer({ bare: true, appToken, args: ['--db', db, '--drain-ms', '0', ...args] });
}

/** Every member, following the pages (per_page 100). */
async function listAll(server) {
  const all = [];
  for (let page = 1; ; page++) {
    const r = await api(server, 'GET', `${MEMBERS}?page=${page}&per_page=100`);
    assert.equal(r.status, 200, r.body);
    const b = r.json();
    all.push(...b.records);
    if (!b.has_next_page) {
      assert.equal(all.length, b.count, 'count matches the records listed');
      return all;
    }
  }
}

describe('restart on the same database', () => {
  let t;
  let clients = [];
  const s = {}; // state carried from one step to the next
  before(() => { t = tempDir(); });
  afterEach(() => { closeAll(clients); clients = []; });
  after(async () => { try { await stopAll(); } finally { t.remove(); } });

  async function welcomed(server, token, origin = ORIGIN) {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token, origin });
    clients.push(c);
    return c;
  }
  async function refused(server, token, reason = 'unauthorized', origin = ORIGIN) {
    const c = await CableClient.connect(server.wsUrl, { token, origin });
    clients.push(c);
    const info = await c.waitClose();
    assert.deepEqual(c.frames.map((f) => f.text), [frames.disconnect(reason, false)]);
    assert.equal(info.code, 1000);
  }
  async function grant(server, body) {
    const r = await api(server, 'POST', AUTH_TOKEN, body);
    assert.equal(r.status, 200, r.body);
    return r.json();
  }

  it('first start (app token and Origin, no --secret): members, tokens and revocations', async () => {
    const server = await startOn(t.db, ['--app-token', APP, '--allowed-origin', ORIGIN]);
    s.members = [];
    for (const body of [
      { email: 'ada@example.com', name: 'Ada Lovelace', sso_user_id: 'sso-ada', avatar_url: 'https://img.example/ada.png' },
      { email: 'Grace@Example.com', name: 'Grace Hopper' },
      { email: 'linus@example.com', name: 'Linus' },
    ]) {
      const r = await api(server, 'POST', MEMBERS, body);
      assert.equal(r.status, 201, r.body);
      s.members.push(r.json().community_member);
    }
    const [ada, grace] = s.members;
    s.ada = await grant(server, { community_member_id: ada.id });
    s.grace1 = await grant(server, { email: 'grace@example.com' });
    s.grace2 = await grant(server, { email: 'grace@example.com' });
    assert.equal((await api(server, 'POST', REVOKE_ACCESS, { access_token: s.grace1.access_token })).status, 204);
    assert.equal((await api(server, 'POST', REVOKE_REFRESH, { refresh_token: s.grace1.refresh_token })).status, 204);
    await welcomed(server, s.ada.access_token);
    await refused(server, s.grace1.access_token);

    // The generated key is stored and used: `cabled token --db` works, the suite's secret does not.
    s.cliToken = mintToken(ada.id, { db: t.db });
    await welcomed(server, s.cliToken);
    await refused(server, mintToken(ada.id, { secret: SECRET }));
    s.listed = await listAll(server);
    assert.deepEqual(s.listed, s.members);
    assert.equal(grace.email, 'grace@example.com');

    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
  });

  it('second start with only --db: everything stored is still there and still enforced', async () => {
    assert.ok(s.listed, 'the first step ran');
    const server = await startOn(t.db, []);
    const [ada, grace, linus] = s.members;

    assert.deepEqual(await listAll(server), s.listed, 'members listed exactly as before');
    // The stored app token still authenticates; a wrong one does not.
    assert.equal((await api(server, 'GET', MEMBERS, undefined, { token: 'wrong' })).status, 401);

    // The old access token connects (stored Origin, stored key) and keeps its member.
    const c = await welcomed(server, s.ada.access_token);
    assert.equal(await c.subscribe(ident({ channel: 'NotificationChannel', community_member_id: ada.id })), 'confirm');
    assert.equal(await c.subscribe(ident({ channel: 'NotificationChannel', community_member_id: grace.id })), 'reject');
    await welcomed(server, s.cliToken);
    await welcomed(server, mintToken(linus.id, { db: t.db }));
    await welcomed(server, s.grace2.access_token);

    // The old refresh token refreshes, to a token of the same member that connects.
    const r = await api(server, 'PATCH', REFRESH, { refresh_token: s.ada.refresh_token }, { token: null });
    assert.equal(r.status, 200, r.body);
    const claims = JSON.parse(Buffer.from(r.json().access_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.community_member_id, ada.id);
    await welcomed(server, r.json().access_token);
    assert.equal((await api(server, 'PATCH', REFRESH, { refresh_token: s.grace2.refresh_token }, { token: null })).status, 200);

    // Revoked stays revoked.
    await refused(server, s.grace1.access_token);
    assert.deepEqual((await api(server, 'PATCH', REFRESH, { refresh_token: s.grace1.refresh_token }, { token: null })).json(),
      errorBody('Refresh token not found.'));

    // auth_token and creation work; ids are not reused.
    assert.equal((await grant(server, { sso_user_id: 'sso-ada' })).community_member_id, ada.id);
    const m = await api(server, 'POST', MEMBERS, { email: 'new@example.com', name: 'After Restart' });
    assert.equal(m.status, 201, m.body);
    assert.ok(m.json().id > Math.max(...s.members.map((x) => x.id)), `id ${m.json().id} reused`);
    const dup = await api(server, 'POST', MEMBERS, { email: 'ada@example.com', name: 'Ada Again' });
    assert.equal(dup.status, 409, dup.body);
    s.members.push(m.json().community_member);

    // A token revoked now is refused after the next restart too.
    s.ada2 = await grant(server, { community_member_id: ada.id });
    assert.equal((await api(server, 'POST', REVOKE_ACCESS, { access_token: s.ada2.access_token })).status, 204);
    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });
  });

  it('a flag given again replaces the stored app token and Origins; --secret is used but not stored', async () => {
    assert.ok(s.ada2, 'the earlier steps ran');
    const NEW_APP = 'replaced-app-token';
    const NEW_ORIGIN = 'https://replaced.example.org';
    const OTHER = 'an-explicit-secret-0123456789abcdef01';
    let server = await startOn(t.db, ['--app-token', NEW_APP, '--allowed-origin', NEW_ORIGIN, '--secret', OTHER], NEW_APP);
    assert.equal((await api(server, 'GET', MEMBERS, undefined, { token: APP })).status, 401, 'the old app token is replaced');
    // Signed ids are signed with the token key: another --secret signs them anew.
    const unsigned = (ms) => ms.map(({ sgid, ...m }) => m);
    assert.deepEqual(unsigned(await listAll(server)), unsigned(s.members));
    const oldOrigin = await CableClient.connect(server.wsUrl, { token: mintToken(s.members[0].id, { secret: OTHER }) })
      .then((c) => { clients.push(c); return 101; }, (e) => e.status);
    assert.equal(oldOrigin, 403, 'the stored Origin is replaced');
    const viaNew = (token) => welcomed(server, token, NEW_ORIGIN);
    await refused(server, s.ada.access_token, 'unauthorized', NEW_ORIGIN); // signed with the stored key, not --secret
    await viaNew(mintToken(s.members[0].id, { secret: OTHER }));
    const g = await grant(server, { community_member_id: s.members[0].id });
    await viaNew(g.access_token);
    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });

    // Without the flags: the replaced app token and Origin stay, and the stored key is back.
    server = await startOn(t.db, [], NEW_APP);
    assert.equal((await api(server, 'GET', MEMBERS)).status, 200);
    assert.equal((await api(server, 'GET', MEMBERS, undefined, { token: APP })).status, 401);
    await welcomed(server, s.ada.access_token, NEW_ORIGIN);
    await refused(server, g.access_token, 'unauthorized', NEW_ORIGIN);
    await refused(server, s.ada2.access_token, 'unauthorized', NEW_ORIGIN);
    // A refresh token issued while --secret was given refreshes to a token of the stored key.
    const r = await api(server, 'PATCH', REFRESH, { refresh_token: g.refresh_token }, { token: null });
    assert.equal(r.status, 200, r.body);
    await welcomed(server, r.json().access_token, NEW_ORIGIN);
    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });
  });
});

describe('kill -9 during a burst of member creations', () => {
  const TOTAL = 300;
  const IN_FLIGHT = 20;
  const KILL_AFTER = 150; // 201s seen before the kill
  let t;
  before(() => { t = tempDir(); });
  after(async () => { try { await stopAll(); } finally { t.remove(); } });

  it('every creation answered 201 is listed after a restart', async (tc) => {
    const server = await startOn(t.db, ['--app-token', APP, '--allowed-origin', ORIGIN]);
    const ok = new Map(); // email -> 201 body
    const cut = new Set(); // emails sent whose answer the kill took away
    const refusedStatuses = [];
    let next = 0;
    let killing = null;
    const bodyFor = (i) => ({ email: `burst${i}@example.com`, name: `Burst Member${i}`, sso_user_id: `burst-${i}` });

    async function worker() {
      while (killing === null && next < TOTAL) {
        const i = next++;
        const body = bodyFor(i);
        try {
          const r = await api(server, 'POST', MEMBERS, body);
          if (r.status === 201) ok.set(body.email, r.json().community_member);
          else refusedStatuses.push(`${r.status} ${r.body}`);
        } catch (e) {
          if (killing === null) refusedStatuses.push(`before the kill: ${e.message}`);
          cut.add(body.email);
        }
        if (killing === null && ok.size >= KILL_AFTER) killing = server.kill();
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    assert.ok(killing !== null, `the burst ended before ${KILL_AFTER} creations were answered`);
    const exit = await killing;
    assert.equal(exit.signal, 'SIGKILL');
    assert.deepEqual(refusedStatuses, [], 'no creation may fail before the kill');
    assert.ok(ok.size >= KILL_AFTER && ok.size < TOTAL, `${ok.size} answered 201`);

    const again = await startOn(t.db, []);
    const listed = await listAll(again);
    const byEmail = new Map(listed.map((m) => [m.email, m]));
    assert.equal(byEmail.size, listed.length, 'no email listed twice');
    assert.equal(new Set(listed.map((m) => m.id)).size, listed.length, 'no id listed twice');
    const missing = [...ok.keys()].filter((e) => !byEmail.has(e));
    assert.deepEqual(missing, [], 'creations answered 201 but lost');
    for (const [e, created] of ok) assert.deepEqual(byEmail.get(e), created, `${e} listed as answered`);
    tc.diagnostic(`${ok.size} answered 201, ${cut.size} cut off by the kill, ${listed.length} listed after the restart`);
    assert.ok(listed.length >= ok.size, `${listed.length} listed, ${ok.size} answered 201`);
    for (const m of listed) {
      assert.ok(ok.has(m.email) || cut.has(m.email), `${m.email} was listed but never sent, or answered otherwise`);
    }
    assert.ok(listed.length <= ok.size + cut.size);

    // A creation cut off by the kill either happened (409 now) or can be made now (201).
    for (const e of cut) {
      const i = Number(/^burst(\d+)@/.exec(e)[1]);
      const r = await api(again, 'POST', MEMBERS, bodyFor(i));
      assert.equal(r.status, byEmail.has(e) ? 409 : 201, `${e}: ${r.body}`);
    }
    // The database is consistent enough to keep serving: the next id is fresh.
    const r = await api(again, 'POST', MEMBERS, { email: 'after.kill@example.com', name: 'After Kill' });
    assert.equal(r.status, 201, r.body);
    assert.ok(r.json().id > Math.max(...listed.map((m) => m.id)));
    assert.deepEqual(await again.stop('SIGTERM'), { code: 0, signal: null });
  });
});
