// What an operator sees: the access log at info (one line per HTTP request and per WebSocket
// connect and close, never a token), --log-format json for log shippers, the metrics a Grafana
// board is built from (labelled counters, the broadcast delivery histogram, gauges per channel),
// and a second process on a busy port refused with the name of the one that holds it.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const net = require('node:net');
const { startServer, startNode, stopAll, BIN } = require('./lib/server');
const { request, publish } = require('./lib/http');
const { CableClient, ident } = require('./lib/clients');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function until(cond, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The value of one sample line of a Prometheus text scrape ('name{labels}'), or undefined. */
function sample(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the access log', () => {
  let server;
  before(async () => { server = await startServer({ members: 2, single: true }); });
  after(stopAll);

  it('has one line per HTTP request: method, path, status, route, duration; no token', async () => {
    const token = server.token(1);
    const r = await request(server.port, { path: `/api/headless/v1/messages?per_page=5&token=${token}`, headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    assert.equal((await request(server.port, { path: '/nowhere' })).status, 404);
    await until(() => /path="\/nowhere"/.test(server.stderr), 'the 404 line');
    assert.match(server.stderr, /I http access conn=\d+ method=GET path="\/api\/headless\/v1\/messages\?per_page=5&token=\[FILTERED\]" status=200 route=\/api\/headless\/v1\/messages duration_ms=\d+\.\d{3}\n/);
    assert.match(server.stderr, /I http access conn=\d+ method=GET path="\/nowhere" status=404 route=\(none\) duration_ms=/);
    assert.ok(!server.stderr.includes(token), 'the token is never logged');
  });

  it('has a line for the upgrade, the connect and the close of a WebSocket: member, reason, duration', async () => {
    const token = server.token(2);
    const c = await CableClient.connectWelcomed(server.wsUrl, { token, tokenIn: 'query' });
    assert.equal(await c.subscribe(ident({ channel: 'NotificationChannel' })), 'confirm');
    c.close(1000);
    await c.waitClose();
    await until(() => /cable closed conn=\d+ member=2 /.test(server.stderr), 'the close line');
    assert.match(server.stderr, /http access conn=(\d+) method=GET path="\/cable\?token=\[FILTERED\]" status=101 route=\/cable/);
    assert.match(server.stderr, /I cable connect conn=\d+ member=2\n/);
    assert.match(server.stderr, /I cable closed conn=\d+ member=2 reason=client_closed code=1000 subscriptions=1 duration_ms=\d+\n/);
    // A refused token: connected, then closed as unauthorized.
    const bad = await CableClient.connect(server.wsUrl, { token: 'not-a-token', tokenIn: 'query' });
    await bad.waitClose();
    await until(() => /reason=unauthorized code=1000/.test(server.stderr), 'the unauthorized close line');
    assert.match(server.stderr, /cable closed conn=\d+ member=0 reason=unauthorized code=1000 subscriptions=0 duration_ms=/);
    assert.ok(!server.stderr.includes(token) && !server.stderr.includes('not-a-token'), 'no token in the log');
  });
});

describe('--log-format json', () => {
  after(stopAll);

  it('writes one JSON object per line, with the access log fields as fields', async () => {
    const server = await startServer({ members: 1, single: true, args: ['--log-format', 'json'] });
    const token = server.token(1);
    await request(server.port, { path: `/health?token=${token}` });
    const c = await CableClient.connectWelcomed(server.wsUrl, { token });
    c.close(1000);
    await c.waitClose();
    await until(() => server.stderr.includes('"closed"'), 'the close line');
    const lines = server.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const health = lines.find((l) => l.module === 'http' && l.msg === 'access' && l.route === '/health');
    assert.ok(health, server.stderr);
    assert.equal(health.level, 'info');
    assert.equal(health.method, 'GET');
    assert.equal(health.path, '/health?token=[FILTERED]');
    assert.equal(health.status, 200);
    assert.equal(typeof health.duration_ms, 'number');
    assert.match(health.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const closed = lines.find((l) => l.module === 'cable' && l.msg === 'closed');
    assert.equal(closed.member, 1);
    assert.equal(closed.reason, 'client_closed');
    assert.ok(!server.stderr.includes(token));
  });

  it('refuses another format', () => {
    const r = spawnSync(BIN, ['--listen', '127.0.0.1:0', '--log-format', 'xml'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--log-format: expected text or json/);
  });
});

describe('metrics for a dashboard', () => {
  let server;
  before(async () => { server = await startServer({ members: 2, single: true }); });
  after(stopAll);

  it('count HTTP requests by route, method and status; keep the old names', async () => {
    await request(server.port, { path: '/health' });
    await request(server.port, { path: '/nowhere' });
    const text = (await request(server.port, { path: '/metrics' })).body;
    assert.ok(sample(text, 'cabled_http_requests_total{route="/health",method="GET",status="200"}') >= 1, text);
    assert.ok(sample(text, 'cabled_http_requests_total{route="(none)",method="GET",status="404"}') >= 1);
    assert.match(text, /# TYPE cabled_http_requests_total counter\n/);
    for (const old of ['cabled_connections', 'cabled_subscriptions', 'cabled_broadcasts_total', 'cabled_deliveries_total',
      'cabled_disconnect_too_slow_total', 'cabled_connections_total']) {
      assert.notEqual(sample(text, old), undefined, `${old} kept`);
    }
  });

  it('show subscriptions per channel, delivery latency, and disconnects by reason', async () => {
    const a = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
    const b = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(2) });
    const id = ident({ channel: 'NotificationChannel' });
    assert.equal(await a.subscribe(id), 'confirm');
    assert.equal(await b.subscribe(id), 'confirm');
    assert.equal(await a.subscribe(ident({ channel: 'ChatRoomChannel' })), 'confirm');
    let text = (await request(server.port, { path: '/metrics' })).body;
    assert.equal(sample(text, 'cabled_channel_subscriptions{channel="NotificationChannel"}'), 2, text);
    assert.equal(sample(text, 'cabled_channel_subscriptions{channel="ChatRoomChannel"}'), 1);
    const count = sample(text, 'cabled_broadcast_delivery_seconds_count');
    await publish(server, { stream: 'notification-channel-1', data: { n: 1 } });
    await a.expect((s) => s.includes('"n":1'));
    text = (await request(server.port, { path: '/metrics' })).body;
    assert.equal(sample(text, 'cabled_broadcast_delivery_seconds_count'), count + 1);
    assert.equal(sample(text, 'cabled_broadcast_delivery_seconds_bucket{le="+Inf"}'), count + 1);
    assert.match(text, /# TYPE cabled_broadcast_delivery_seconds histogram\n/);
    assert.match(text, /cabled_broadcast_delivery_seconds_bucket\{le="0.001"\} \d+\n/);
    assert.ok(sample(text, 'cabled_broadcast_delivery_seconds_sum') >= 0);
    a.close(1000);
    b.terminate();
    await a.waitClose();
    await b.waitClose();
    await until(() => (server.stderr.match(/cable closed/g) || []).length >= 2, 'both closes');
    text = (await request(server.port, { path: '/metrics' })).body;
    assert.equal(sample(text, 'cabled_channel_subscriptions{channel="NotificationChannel"}'), 0);
    assert.equal(sample(text, 'cabled_channel_subscriptions{channel="ChatRoomChannel"}'), 0);
    assert.ok(sample(text, 'cabled_disconnects_total{reason="client_closed"}') >= 1, text);
    assert.ok(sample(text, 'cabled_disconnects_total{reason="connection_lost"}') >= 1);
  });
});

describe('a busy port', () => {
  after(stopAll);

  it('is refused with the pid and command line of the process that holds it', async () => {
    const port = await freePort();
    const first = await startNode({ port, single: true });
    const r = spawnSync(BIN, ['--listen', `127.0.0.1:${port}`, '--db', 'sqlite::memory:'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 1, r.stderr);
    const m = /--listen 127\.0\.0\.1:(\d+): the address is in use by pid (\d+) \(([^)]*)\)\./.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(Number(m[2]), first.proc.pid);
    assert.ok(m[3].includes(`--listen 127.0.0.1:${port}`), m[3]);
    assert.match(r.stderr, /--pubsub redis:\/\//);
  });

  it('names whatever process holds it, cabled or not', async () => {
    const port = await freePort();
    const holder = net.createServer();
    await new Promise((resolve) => holder.listen(port, '127.0.0.1', resolve));
    const r = spawnSync(BIN, ['--listen', `127.0.0.1:${port}`, '--db', 'sqlite::memory:'], { encoding: 'utf8', timeout: 10000 });
    holder.close();
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`in use by pid ${process.pid} \\(`));
  });
});
