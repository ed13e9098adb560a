// The extended protocol across nodes on one real redis-server (started here): the same offset
// for the same message on every node, history kept in Redis, and a client of the official
// @anycable/core that drops from one node and reconnects to another gets its session restored
// and exactly the messages it missed; whispers and presence events cross nodes too. Messages
// published straight on Redis (a Rails application) are delivered without a position. Plain
// clients and Rails on the same Redis see Action Cable's messages as before (cluster.test.js).

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startCluster, startNode, stopAll } = require('./lib/server');
const { CableClient, closeAll, ident, frames } = require('./lib/clients');
const { publish, createMember } = require('./lib/http');
const { startRedis, redisCli } = require('./lib/redis');
const { anyCable, watch, until, nextConnect, drop } = require('./lib/anycable');

const EXT = 'actioncable-v1-ext-json';
const NOTIF = ident({ channel: 'NotificationChannel' });
const send = (node, stream, n) => publish(node, { stream, data: { n } });

describe('extended protocol on a cluster over Redis', () => {
  let redis;
  let c;
  const raws = [];
  const cables = [];
  before(async () => {
    redis = await startRedis();
    process.env.CABLED_TEST_REDIS_URL = redis.url;
    c = await startCluster({ args: ['--redis-channel-prefix', 'ext:', '--ping-interval', '1', '--presence-ttl', '2'], members: 4 }, 2);
  });
  after(async () => {
    delete process.env.CABLED_TEST_REDIS_URL;
    closeAll(raws);
    for (const cable of cables) cable.disconnect();
    await stopAll();
    if (redis) await redis.stop();
  });

  it('one message has the same position on every node; history lives in Redis', async () => {
    const a = await CableClient.connectWelcomed(c.nodes[0].wsUrl, { token: c.token(1), protocols: [EXT] });
    const b = await CableClient.connectWelcomed(c.nodes[1].wsUrl, { token: c.token(1), protocols: [EXT] });
    const plain = await CableClient.connectWelcomed(c.nodes[1].wsUrl, { token: c.token(1) });
    raws.push(a, b, plain);
    for (const cl of [a, b, plain]) assert.equal(await cl.subscribe(NOTIF), 'confirm');
    for (let n = 1; n <= 3; n++) await send(c.nodes[n % 2], 'notification-channel-1', n);
    const fa = [];
    const fb = [];
    for (let n = 1; n <= 3; n++) {
      fa.push(JSON.parse(await a.expect((s) => s.includes(`"n":${n}`))));
      fb.push(JSON.parse(await b.expect((s) => s.includes(`"n":${n}`))));
      await plain.expect(frames.data(NOTIF, `{"n":${n}}`));
    }
    assert.deepEqual(fa, fb);
    assert.deepEqual(fa.map((f) => f.offset), [1, 2, 3]);
    assert.equal(redisCli(redis, 'XLEN', 'ext:_cabled:h:notification-channel-1'), '3');
    assert.equal(redisCli(redis, 'HGET', 'ext:_cabled:s:notification-channel-1', 'e'), fa[0].epoch);
    // A Rails application's PUBLISH: delivered as it is, with no position, and not kept.
    redisCli(redis, 'PUBLISH', 'ext:notification-channel-1', '{"rails":true}');
    assert.equal(await a.expect((s) => s.includes('rails')), frames.data(NOTIF, '{"rails":true}'));
    assert.equal(redisCli(redis, 'XLEN', 'ext:_cabled:h:notification-channel-1'), '3');
    // History by position, read from Redis on the other node.
    const d = await CableClient.connectWelcomed(c.nodes[1].wsUrl, { token: c.token(1), protocols: [EXT] });
    raws.push(d);
    d.send({ command: 'subscribe', identifier: NOTIF, history: { streams: { 'notification-channel-1': { epoch: fa[0].epoch, offset: 1 } } } });
    await d.expect(frames.confirm(NOTIF));
    assert.equal(JSON.parse(await d.expect((s) => s.includes('"n":2'))).offset, 2);
    assert.equal(JSON.parse(await d.expect((s) => s.includes('"n":3'))).offset, 3);
    await d.expect(`{"identifier":${JSON.stringify(NOTIF)},"type":"confirm_history"}`);
  });

  it('abrupt drop on one node, 3 broadcasts, reconnect to the other: restored, exactly those 3', async () => {
    const cable = await anyCable(c.nodes[0].wsUrl, c.token(2));
    cables.push(cable);
    const ch = cable.subscribeTo('NotificationChannel');
    const w = watch(ch);
    await ch.ensureSubscribed();
    await send(c.nodes[0], 'notification-channel-2', 0);
    await until(() => w.messages.some(([m]) => m.n === 0), { what: 'the first message' });
    const seen = w.messages.length;
    const reconnected = nextConnect(cable);
    drop(cable);
    // The next attempt goes to the other node, with the same query (jid, sid).
    const u = new URL(cable.transport.url);
    u.port = String(c.nodes[1].port);
    cable.transport.setURL(u.toString());
    await until(() => cable.state !== 'connected', { what: 'the client to notice' });
    for (let n = 1; n <= 3; n++) await send(c.nodes[n % 2], 'notification-channel-2', n);
    assert.deepEqual(await reconnected, { reconnect: true, restored: true });
    assert.ok(cable.sockets[1].url.includes(`:${c.nodes[1].port}/`), cable.sockets[1].url);
    await until(() => w.messages.length === seen + 3, { what: 'the 3 missed messages' });
    await send(c.nodes[0], 'notification-channel-2', 4);
    await until(() => w.messages.length === seen + 4, { what: 'a live message' });
    const tail = w.messages.slice(seen - 1);
    assert.deepEqual(tail.map(([m]) => m.n), [0, 1, 2, 3, 4]);
    const offs = tail.map(([, m]) => m.offset);
    assert.deepEqual(offs.map((o) => o - offs[0]), [0, 1, 2, 3, 4]);
    cable.disconnect();
  });

  it('a room subscription restored on another node is checked there first (a cold access cache)', async () => {
    const ann = await createMember(c, { name: 'Ann Rooms' });
    const room = await c.createRoom([ann.id]);
    const id = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
    const a = await CableClient.connectWelcomed(c.nodes[0].wsUrl, { token: c.token(ann.id), protocols: [EXT] });
    raws.push(a);
    assert.equal(await a.subscribe(id), 'confirm');
    assert.equal(await a.subscribe(NOTIF), 'confirm');
    a.terminate();
    await new Promise((r) => setTimeout(r, 200));
    const b = await CableClient.connect(`${c.nodes[1].wsUrl}?sid=${a.sid}`, { token: c.token(ann.id), protocols: [EXT] });
    raws.push(b);
    const w = JSON.parse(await b.expect((x) => x.startsWith('{"type":"welcome"')));
    assert.deepEqual(w.restored_ids, [id, NOTIF]);
    await publish(c.nodes[0], { stream: `chat-room-${room.id}-channel`, data: { hi: 1 } });
    // (This raw client never asks for its history: the restore holds its live frames 3 s.)
    const f = JSON.parse(await b.expect((x) => x.includes('"hi"'), { timeoutMs: 15000 }));
    assert.equal(f.identifier, id);
  });

  it('a session restores once, cluster-wide', async () => {
    const a = await CableClient.connectWelcomed(c.nodes[0].wsUrl, { token: c.token(3), protocols: [EXT] });
    raws.push(a);
    assert.equal(await a.subscribe(NOTIF), 'confirm');
    a.terminate();
    await until(() => redisCli(redis, 'EXISTS', `ext:_cabled:session:${a.sid}`) === '1', { what: 'the session in Redis' });
    await new Promise((r) => setTimeout(r, 200));
    const b = await CableClient.connect(`${c.nodes[1].wsUrl}?sid=${a.sid}`, { token: c.token(3), protocols: [EXT] });
    raws.push(b);
    const wb = JSON.parse(await b.expect((s) => s.startsWith('{"type":"welcome"')));
    assert.equal(wb.restored, true);
    const again = await CableClient.connect(`${c.nodes[0].wsUrl}?sid=${a.sid}`, { token: c.token(3), protocols: [EXT] });
    raws.push(again);
    const w2 = JSON.parse(await again.expect((s) => s.startsWith('{"type":"welcome"')));
    assert.equal(w2.restored, undefined);
  });

  it('whispers and presence cross nodes; a member on a node that dies leaves after the grace', async () => {
    const ann = await createMember(c, { name: 'Ann Across' });
    const bob = await createMember(c, { name: 'Bob Across' });
    const room = await c.createRoom([ann.id, bob.id]);
    // A third node, killed later with Ann's tab on it.
    const argv = c.nodes[0].proc.spawnargs;
    const db = argv[argv.indexOf('--db') + 1];
    const doomed = await startNode({ args: ['--db', db, '--pubsub', redis.url, '--redis-channel-prefix', 'ext:',
      '--ping-interval', '1', '--presence-ttl', '2'] });
    const tab = async (node, member) => {
      const cable = await anyCable(node.wsUrl, c.token(member.id));
      cables.push(cable);
      const channel = cable.subscribeTo('Chats::RoomChannel', { chat_room_id: room.id });
      const w = watch(channel);
      await channel.ensureSubscribed();
      return { cable, channel, w };
    };
    const a = await tab(doomed, ann);
    const b = await tab(c.nodes[1], bob);
    await a.channel.whisper({ event: 'typing' });
    await until(() => b.w.messages.length === 1, { what: 'the whisper on the other node' });
    assert.deepEqual(b.w.messages[0], [{ event: 'typing' }, undefined]);
    await a.channel.presence.join(String(ann.id), {});
    await until(() => b.w.presence.some((p) => p.type === 'join'), { what: 'the join on the other node' });
    assert.deepEqual(await b.channel.presence.info(), { [ann.id]: { community_member_id: ann.id, name: 'Ann Across', avatar_url: null } });
    // Ann's node dies: nobody tells Redis she dropped; her entry runs out and another node's
    // sweep announces the leave.
    const killedAt = Date.now();
    await doomed.kill();
    await until(() => b.w.presence.some((p) => p.type === 'leave'), { timeoutMs: 15000, what: 'the leave' });
    assert.ok(Date.now() - killedAt >= 1000, `left ${Date.now() - killedAt} ms after the kill`);
    assert.deepEqual(await b.channel.presence.info(), {});
    b.cable.disconnect();
  });
});
