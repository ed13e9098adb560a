// Several cabled nodes on one real redis-server (started here on a loopback port): Action Cable's
// Redis wire format both ways, a broadcast crossing Redis once per node, the channel prefix,
// Redis killed and restarted and paused under running nodes (sockets kept, /health degraded with
// the reason, subscriptions restored and queued broadcasts delivered once it is back), malformed
// Redis messages, processes sharing one port, and the flags' errors. The chat, auth and
// notification suites also run whole against three-node clusters (CABLED_TEST_REDIS_URL, see
// lib/server.js), which checks every event crossing nodes on the exact streams.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { startNode, startCluster, stopAll, BIN } = require('./lib/server');
const { CableClient, closeAll, ident, frames, railsJSON } = require('./lib/clients');
const { request, publish } = require('./lib/http');
const { startRedis, redisCli, freePort } = require('./lib/redis');

const NOTIF = ident({ channel: 'NotificationChannel' });

/** A welcomed client of member on node, subscribed to its NotificationChannel. */
async function subscriber(node, member) {
  const c = await CableClient.connectWelcomed(node.wsUrl, { token: node.token(member) });
  assert.equal(await c.subscribe(NOTIF), 'confirm');
  return c;
}

async function health(node) {
  const r = await request(node.port, { path: '/health' });
  return { status: r.status, body: JSON.parse(r.body) };
}

/** Polls fn() until it returns a truthy value or timeoutMs passes; resolves with the value. */
async function eventually(fn, { timeoutMs = 8000, every = 100, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

describe('cluster over Redis', () => {
  let redis;
  let prefixSeq = 0;
  const cluster = (size = 3, extra = []) => {
    process.env.CABLED_TEST_REDIS_URL = redis.url;
    const prefix = `c${++prefixSeq}:`;
    return startCluster({ args: ['--redis-channel-prefix', prefix, ...extra], members: 12 }, size)
      .then((c) => Object.assign(c, { prefix }));
  };

  before(async () => { redis = await startRedis(); });
  after(async () => {
    delete process.env.CABLED_TEST_REDIS_URL;
    await stopAll();
    if (redis) await redis.stop();
  });

  it('a Rails-format PUBLISH reaches the subscribers of every node, re-encoded as Action Cable does', async () => {
    const c = await cluster();
    const clients = [];
    for (const node of c.nodes) clients.push(await subscriber(node, 7));
    // What ActionCable.server.broadcast("notification-channel-7", {...}) sends over Redis.
    const payload = '{"event":"newNotification","data":{"title":"<b>hi</b> & bye","big":12345678901234567890}}';
    assert.equal(redisCli(redis, 'PUBLISH', `${c.prefix}notification-channel-7`, payload), '3',
      'one receiver per node');
    const expected = frames.data(NOTIF,
      '{"event":"newNotification","data":{"title":"\\u003cb\\u003ehi\\u003c/b\\u003e \\u0026 bye","big":12345678901234567890}}');
    for (const cl of clients) await cl.expect(expected);
    // Without the prefix it is another channel: nobody hears it.
    assert.equal(redisCli(redis, 'PUBLISH', 'notification-channel-7', '{"x":1}'), '0');
    closeAll(clients);
    await c.stop();
  });

  it("cabled's own broadcasts are Action Cable's Redis messages", async () => {
    const c = await cluster(2);
    // A Rails node listening on the same Redis: redis-cli SUBSCRIBE, read one message.
    const sub = require('node:child_process').spawn('redis-cli',
      ['-p', String(redis.port), 'SUBSCRIBE', `${c.prefix}chat-room-9-channel`]);
    let out = '';
    sub.stdout.on('data', (d) => { out += d; });
    await eventually(() => out.includes('subscribe'), { what: 'redis-cli to subscribe' });
    await publish(c.nodes[1], { stream: 'chat-room-9-channel', data: { event: 'x', data: { a: '<1>' } } });
    await eventually(() => out.includes('{"event":"x"'), { what: 'the message at redis-cli' });
    sub.kill();
    assert.match(out, /\{"event":"x","data":\{"a":"\\u003c1\\u003e"\}\}/);
    await c.stop();
  });

  it('a broadcast crosses Redis once per node, never once per subscriber', async () => {
    const c = await cluster();
    const clients = [];
    for (let i = 0; i < 30; i++) clients.push(await subscriber(c.nodes[i % 3], 8));
    const channel = `${c.prefix}notification-channel-8`;
    assert.equal(redisCli(redis, 'PUBSUB', 'NUMSUB', channel).split('\n')[1], '3');
    const before = Number(/total_net_output_bytes:(\d+)/.exec(redisCli(redis, 'INFO', 'stats'))[1]);
    const big = 'x'.repeat(50000);
    await publish(c.nodes[0], { stream: 'notification-channel-8', data: { big } });
    for (const cl of clients) await cl.expect(frames.data(NOTIF, railsJSON({ big })));
    const after = Number(/total_net_output_bytes:(\d+)/.exec(redisCli(redis, 'INFO', 'stats'))[1]);
    // Three copies of 50 kB went out of Redis (one per node), not thirty.
    assert.ok(after - before >= 3 * 50000 && after - before < 4 * 50000, `Redis sent ${after - before} bytes`);
    // A node unsubscribes once its last subscriber is gone.
    for (let i = 0; i < 30; i += 3) clients[i].terminate();
    await eventually(() => redisCli(redis, 'PUBSUB', 'NUMSUB', channel).split('\n')[1] === '2',
      { what: 'node A to unsubscribe' });
    closeAll(clients);
    await eventually(() => redisCli(redis, 'PUBSUB', 'NUMSUB', channel).split('\n')[1] === '0',
      { what: 'every node to unsubscribe' });
    await c.stop();
  });

  it('Redis killed and restarted: sockets stay, /health says why, everything flows again', async () => {
    const c = await cluster(3, ['--ping-interval', '1']);
    const clients = [];
    for (const node of c.nodes.slice(1)) clients.push(await subscriber(node, 9));
    assert.deepEqual((await health(c.nodes[0])).body, { status: 'ok' });

    await redis.kill();
    for (const node of c.nodes) {
      const h = await eventually(async () => {
        const x = await health(node);
        return x.body.status === 'degraded' ? x : null;
      }, { what: '/health to say degraded' });
      assert.equal(h.status, 200);
      assert.match(h.body.problems.pubsub, /^redis 127\.0\.0\.1:\d+ unreachable \(.+\)/);
    }
    // Published while Redis is away: kept, and delivered once it is back.
    await publish(c.nodes[0], { stream: 'notification-channel-9', data: { during: 'outage' } });
    // The sockets are untouched: pings keep coming.
    for (const cl of clients) {
      cl.take();
      await cl.expect((s) => /^\{"type":"ping"/.test(s), { what: 'a ping during the outage' });
      assert.equal(cl.closeInfo, null);
    }

    const back = Date.now();
    await redis.start();
    await eventually(async () => (await health(c.nodes[0])).body.status === 'ok', { what: 'node A healthy' });
    for (const cl of clients) await cl.expect(frames.data(NOTIF, '{"during":"outage"}'), { timeoutMs: 10000 });
    // Subscriptions are restored: a new broadcast reaches both nodes' clients within 10 s (about
    // 3 s here: a reconnect backoff of at most 1.2 s, the replay 1.5 s after the link is back).
    await eventually(() => redisCli(redis, 'PUBSUB', 'NUMSUB', `${c.prefix}notification-channel-9`)
      .split('\n')[1] === '2', { timeoutMs: 10000, what: 'subscriptions restored' });
    await publish(c.nodes[0], { stream: 'notification-channel-9', data: { after: 'outage' } });
    for (const cl of clients) await cl.expect(frames.data(NOTIF, '{"after":"outage"}'));
    assert.ok(Date.now() - back < 10000, `flowing again after ${Date.now() - back} ms`);
    closeAll(clients);
    await c.stop();
  });

  it('a Redis that stops answering is noticed, and the node recovers when it answers again', async () => {
    const c = await cluster(2);
    const client = await subscriber(c.nodes[1], 10);
    redis.pause();
    try {
      await eventually(async () => (await health(c.nodes[0])).body.status === 'degraded',
        { timeoutMs: 15000, what: 'the silent Redis to be noticed' });
    } finally {
      redis.resume();
    }
    await eventually(async () => (await health(c.nodes[0])).body.status === 'ok', { what: 'recovery' });
    await eventually(async () => (await health(c.nodes[1])).body.status === 'ok', { what: 'recovery' });
    await eventually(() => redisCli(redis, 'PUBSUB', 'NUMSUB', `${c.prefix}notification-channel-10`)
      .split('\n')[1] === '1', { what: 'the subscription restored' });
    await publish(c.nodes[0], { stream: 'notification-channel-10', data: { ok: true } });
    await client.expect(frames.data(NOTIF, '{"ok":true}'));
    client.terminate();
    await c.stop();
  });

  it('a malformed Redis message is logged and dropped; the node goes on', async () => {
    const c = await cluster(2);
    const client = await subscriber(c.nodes[1], 11);
    const channel = `${c.prefix}notification-channel-11`;
    redisCli(redis, 'PUBLISH', channel, 'not json {');
    redisCli(redis, 'PUBLISH', `${c.prefix}_cabled:control`, '{"type":"revoke_access_token","jti":"a b"}');
    redisCli(redis, 'PUBLISH', channel, '{"fine":1}');
    await client.expect(frames.data(NOTIF, '{"fine":1}'));
    assert.deepEqual(client.nonPings(), [], 'nothing else arrived');
    await eventually(() => /pubsub redis message dropped: not JSON/.test(c.nodes[1].stderr + c.nodes[1].stdout),
      { what: 'the log line' });
    assert.match(c.nodes[1].stderr + c.nodes[1].stdout, /hub control message ignored/);
    client.terminate();
    await c.stop();
  });

  it('processes share one port with a cluster pub/sub, and every subscriber gets each broadcast', async () => {
    const port = await freePort();
    const args = ['--pubsub', redis.url, '--redis-channel-prefix', 'shared:', '--threads', '1'];
    // One database for both (a member must exist wherever its socket lands).
    const db = `sqlite:${require('node:path').join(require('node:os').tmpdir(), `cabled-shared-${port}.db`)}`;
    const a = await startNode({ port, args: [...args, '--db', db], members: 12 });
    const b = await startNode({ port, args: [...args, '--db', db] });
    const clients = [];
    for (let i = 0; i < 24; i++) clients.push(await subscriber(a, 12));
    await publish(a, { stream: 'notification-channel-12', data: { all: 24 } });
    for (const cl of clients) await cl.expect(frames.data(NOTIF, '{"all":24}'));
    // The kernel spread the 24 connections over both processes (all on one: 2^-23).
    assert.equal(redisCli(redis, 'PUBSUB', 'NUMSUB', 'shared:notification-channel-12').split('\n')[1], '2',
      'both processes hold subscribers');
    closeAll(clients);
    await a.stop();
    await b.stop();
    for (const ext of ['', '-wal', '-shm']) require('node:fs').rmSync(db.slice(7) + ext, { force: true });
  });
});

describe('cluster flags', () => {
  after(stopAll);

  const run = (args) => spawnSync(BIN, args, { encoding: 'utf8', timeout: 10000, cwd: require('node:os').tmpdir() });

  it('a second process on a busy port with the local pub/sub refuses to start', async () => {
    const port = await freePort();
    const a = await startNode({ port, single: true });
    const r = run(['--listen', `127.0.0.1:${port}`, '--db', 'sqlite::memory:']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`--listen 127\\.0\\.0\\.1:${port}: the address is in use .*--pubsub redis://`));
    await a.stop();
  });

  it('a wrong --pubsub URL fails at start naming the flag', () => {
    for (const [url, why] of [
      ['redis:/nohost', /--pubsub: expected local or redis:\/\/HOST:PORT\[\/DB\], got "redis:\/nohost"/],
      ['redis://', /--pubsub: expected a host name, got "redis:\/\/"/],
      ['redis://h:99999', /--pubsub: the port must be 1\.\.65535, got "redis:\/\/h:99999"/],
      ['redis://h:1/x', /--pubsub: the database must be a number, got "redis:\/\/h:1\/x"/],
      ['nats://h', /--pubsub: expected local or redis:\/\/HOST:PORT\[\/DB\], got "nats:\/\/h"/],
    ]) {
      const r = run(['--listen', '127.0.0.1:0', '--pubsub', url]);
      assert.equal(r.status, 2, url);
      assert.match(r.stderr, why, url);
    }
  });
});
