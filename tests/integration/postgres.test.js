// A PostgreSQL outage under a running cabled: the database server is stopped and started again
// (tests/services/postgres.sh down / up) while cabled keeps running on it.
// During the outage: every API call that needs the database answers 503 in Circle's error shape,
// at once; connected WebSockets stay open and keep getting their pings; new WebSocket
// connections are still welcomed (tokens are checked without the database); /health answers.
// After the restart: the same calls succeed again without restarting cabled, and what was stored
// before the outage is still there. A restart between two requests (no traffic while the server is
// away) costs no error at all.
// Runs only against the cluster of tests/services/postgres.sh (CABLED_TEST_PG_URL set to its URL):
// it must be able to stop that server. Skipped, with a line saying so, otherwise.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, stopAll, PG_URL } = require('./lib/server');
const { api, request } = require('./lib/http');
const { CableClient, closeAll, isPing } = require('./lib/clients');

const SCRIPT = path.resolve(__dirname, '../services/postgres.sh');
const MEMBERS = '/api/admin/v2/community_members';
const UNAVAILABLE = { success: false, message: 'Service unavailable', error_details: {} };

/** Runs the service script; resolves with its exit status and output. */
function service(cmd) {
  const r = spawnSync(SCRIPT, [cmd], { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}`.trim() };
}

function skipReason() {
  if (!PG_URL) return 'CABLED_TEST_PG_URL is not set (export CABLED_TEST_PG_URL=$(tests/services/postgres.sh start))';
  if (service('url').out !== PG_URL) return 'CABLED_TEST_PG_URL is not the cluster of tests/services/postgres.sh, which this test stops and starts';
  return false;
}

const skip = skipReason();
if (skip) console.log(`# SKIP postgres.test.js: ${skip}`);

/** Calls fn every 100 ms until it resolves truthy, for up to timeoutMs; resolves with the time taken. */
async function poll(fn, timeoutMs, what) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('PostgreSQL stopped and started under a running cabled', { skip }, () => {
  let server;
  const sockets = [];
  before(async () => { server = await startServer({ pingInterval: 1 }); });
  after(async () => {
    service('up'); // whatever happened, the next test file needs the server
    closeAll(sockets);
    await stopAll();
  });

  it('503 in the error shape during the outage, pings and /health go on, requests succeed after the restart', { timeout: 90000 }, async (t) => {
    const [ann] = await server.createMembers(1);
    const token = server.token(ann);
    const memberCalls = (when) => [
      api(server, 'GET', MEMBERS),
      api(server, 'POST', MEMBERS, { email: `outage-${when}@example.com`, name: `Created ${when}` }),
      api(server, 'POST', '/api/v1/headless/auth_token', { community_member_id: ann }),
      api(server, 'GET', '/api/headless/v1/messages', undefined, { token }),
      api(server, 'GET', '/api/headless/v1/notifications/new_notifications_count', undefined, { token }),
    ];
    for (const r of await Promise.all(memberCalls('before'))) assert.ok(r.status < 300, `before the outage: ${r.status} ${r.body}`);
    const sock = await CableClient.connectWelcomed(server.wsUrl, { token });
    sockets.push(sock);

    const down = service('down');
    assert.equal(down.status, 0, `postgres.sh down: ${down.out}`);
    const downAt = Date.now();

    // Every call that needs the database: 503, Circle's shape, at once.
    const t0 = Date.now();
    const during = await Promise.all(memberCalls('during'));
    const refusedMs = Date.now() - t0;
    for (const r of during) {
      assert.equal(r.status, 503, `during the outage: ${r.status} ${r.body}`);
      assert.deepEqual(r.json(), UNAVAILABLE);
    }
    // Again, one after another: the backoff answers without asking the server each time.
    const t1 = Date.now();
    for (let i = 0; i < 20; i++) assert.equal((await api(server, 'GET', MEMBERS)).status, 503);
    const sequentialMs = Date.now() - t1;
    assert.ok(refusedMs < 3000 && sequentialMs < 3000, `refused in ${refusedMs} ms and 20 more in ${sequentialMs} ms`);

    // Degraded, with the reason: the node still serves its sockets.
    const health = await request(server.port, { path: '/health' });
    assert.equal(health.status, 200, health.body);
    const hb = JSON.parse(health.body);
    assert.equal(hb.status, 'degraded', health.body);
    assert.match(hb.problems.store, /^postgres unavailable \(.+\): the API answers 503 until it is back$/);

    // The open socket keeps its pings; a new one is welcomed.
    const pingsBefore = sock.frames.filter((f) => isPing(f.text) && f.at >= downAt).length;
    await sock.until(() => sock.frames.filter((f) => isPing(f.text) && f.at >= downAt).length >= pingsBefore + 2,
      { timeoutMs: 5000, what: 'two pings during the outage' });
    assert.equal(sock.closeInfo, null, 'the socket stays open');
    const fresh = await CableClient.connectWelcomed(server.wsUrl, { token });
    sockets.push(fresh);

    const up = service('up');
    assert.equal(up.status, 0, `postgres.sh up: ${up.out}`);
    const upAt = Date.now();
    const recoveredMs = await poll(async () => (await api(server, 'GET', MEMBERS)).status === 200, 20000,
      'GET members answering 200 after the restart');
    for (const r of await Promise.all(memberCalls('after'))) assert.ok(r.status < 300, `after the restart: ${r.status} ${r.body}`);
    const list = (await api(server, 'GET', `${MEMBERS}?per_page=100`)).json();
    assert.ok(list.records.some((m) => m.id === ann), 'the member stored before the outage is listed');
    assert.deepEqual(list.records.map((m) => m.name).filter((n) => n.startsWith('Created ')),
      ['Created before', 'Created after'], 'nothing refused during the outage was stored');
    assert.equal(sock.closeInfo, null, 'the socket is still open');
    assert.equal(server.exitInfo, null, 'cabled is still running');
    assert.deepEqual(JSON.parse((await request(server.port, { path: '/health' })).body), { status: 'ok' });
    t.diagnostic(`outage: ${during.length} concurrent calls refused with 503 in ${refusedMs} ms, 20 sequential in ` +
      `${sequentialMs} ms; requests succeeded ${recoveredMs} ms after the server was up again ` +
      `(${Date.now() - upAt} ms incl. checks)`);
  });

  it('a restart of PostgreSQL between two requests costs no error', { timeout: 60000 }, async () => {
    assert.equal((await api(server, 'GET', MEMBERS)).status, 200);
    const down = service('down');
    assert.equal(down.status, 0, `postgres.sh down: ${down.out}`);
    const up = service('up');
    assert.equal(up.status, 0, `postgres.sh up: ${up.out}`);
    // The pool's sessions were ended by the restart; each is reset at its next use, at once,
    // since the server answers again.
    const r = await Promise.all([0, 1, 2, 3, 4, 5].map(() => api(server, 'GET', MEMBERS)));
    assert.deepEqual(r.map((x) => x.status), [200, 200, 200, 200, 200, 200], r.map((x) => x.body).join('\n'));
  });
});
