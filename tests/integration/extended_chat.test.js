// Whispers and presence on Chats::RoomChannel with the official client (@anycable/core), and the
// token's lifetime: a whisper reaches the room's other connections (another tab of the sender's
// member included), never the sender's own, never a plain client, is never replayed, and is
// refused (reject_whisper) where it is not allowed or past the rate; presence counts a member's
// tabs as one, shows the member's public fields whatever the client claims, leaves a dropped
// connection present for --presence-ttl, and answers every request (an error on a channel
// without presence, so the client's info() never hangs). A socket whose token expires gets
// token_expired; the client's refresher reconnects it and nothing is lost; refresh_token
// replaces the token in band. Across nodes: extended_cluster.test.js.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { CableClient, closeAll, ident, frames } = require('./lib/clients');
const { publish, createMember, request } = require('./lib/http');
const { anyCable, watch, until, nextConnect, drop } = require('./lib/anycable');

const EXT = 'actioncable-v1-ext-json';
const NOTIF = ident({ channel: 'NotificationChannel' });
const roomId = (room) => ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A JWT's claims, unchecked. */
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

describe('whispers and presence', () => {
  let server;
  let ann;
  let bob;
  let cat;
  let room;
  const raws = [];
  const cables = [];
  before(async () => {
    server = await startServer({ pingInterval: 1, single: true, args: ['--presence-ttl', '2', '--whisper-rate', '5'] });
    ann = await createMember(server, { name: 'Ann Example' });
    bob = await createMember(server, { name: 'Bob Example' });
    cat = await createMember(server, { name: 'Cat Outsider' });
    room = await server.createRoom([ann.id, bob.id]);
  });
  after(async () => {
    closeAll(raws);
    for (const c of cables) c.disconnect();
    await stopAll();
  });

  /** A member's cable subscribed to the room, with its channel's events recorded. */
  async function tab(member) {
    const cable = await anyCable(server.wsUrl, server.token(member.id));
    cables.push(cable);
    const channel = cable.subscribeTo('Chats::RoomChannel', { chat_room_id: room.id });
    const w = watch(channel);
    await channel.ensureSubscribed();
    return { cable, channel, w };
  }

  it('a whisper reaches the room\'s other connections, the sender\'s other tab too, never the sender nor a plain client', async () => {
    const a = await tab(ann);
    const a2 = await tab(ann);
    const b = await tab(bob);
    const plain = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(bob.id) });
    raws.push(plain);
    assert.equal(await plain.subscribe(roomId(room)), 'confirm');
    await a.channel.whisper({ event: 'typing', name: 'Ann' });
    await until(() => b.w.messages.length === 1 && a2.w.messages.length === 1, { what: 'the whisper' });
    assert.deepEqual(b.w.messages[0], [{ event: 'typing', name: 'Ann' }, undefined]);
    const raw = b.cable.sockets[0].frames.find((f) => f.includes('typing'));
    assert.equal(raw, frames.data(b.channel.identifier, '{"event":"typing","name":"Ann"}'));
    // A fence: a broadcast after the whisper; the sender and the plain client got only that.
    await publish(server, { stream: `chat-room-${room.id}-channel`, data: { fence: 1 } });
    await until(() => a.w.messages.length === 1, { what: 'the fence' });
    assert.deepEqual(a.w.messages.map(([m]) => m), [{ fence: 1 }]);
    await plain.expect(frames.data(roomId(room), '{"fence":1}'));
    await plain.barrier();
    assert.deepEqual(plain.nonPings(), []);

    // A whisper is never kept: b drops, a whispers, b is restored without it.
    const reconnected = nextConnect(b.cable);
    const before = b.w.messages.length;
    drop(b.cable);
    await until(() => b.cable.state !== 'connected', { what: 'b to notice' });
    await a.channel.whisper({ event: 'typing', name: 'Ann', n: 2 });
    await publish(server, { stream: `chat-room-${room.id}-channel`, data: { kept: 1 } });
    assert.equal((await reconnected).restored, true);
    await until(() => b.w.messages.length === before + 1, { what: 'the kept message' });
    assert.deepEqual(b.w.messages.slice(before).map(([m]) => m), [{ kept: 1 }]);
    for (const t of [a, a2, b]) t.cable.disconnect();
  });

  it('refusals: a channel without whispers, an identifier not subscribed, past the rate; the connection stays', async () => {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(ann.id), protocols: [EXT] });
    raws.push(c);
    assert.equal(await c.subscribe(NOTIF), 'confirm');
    assert.equal(await c.subscribe(roomId(room)), 'confirm');
    const refused = (id, reason) => `{"identifier":${JSON.stringify(id)},"type":"reject_whisper","reason":"${reason}"}`;
    c.send({ command: 'whisper', identifier: NOTIF, data: { t: 1 } });
    await c.expect(refused(NOTIF, 'not_allowed'));
    const other = ident({ channel: 'Chats::RoomChannel', chat_room_id: 999999 });
    c.send({ command: 'whisper', identifier: other, data: { t: 1 } });
    await c.expect(refused(other, 'not_subscribed'));
    c.send({ command: 'whisper', identifier: roomId(room), data: 'x'.repeat(5000) });
    await c.expect(refused(roomId(room), 'too_large'));
    c.send({ command: 'whisper', identifier: roomId(room) });
    // (A whisper without data is not a command at all: ignored.)
    for (let i = 0; i < 15; i++) c.send({ command: 'whisper', identifier: roomId(room), data: { i } });
    await c.expect(refused(roomId(room), 'rate_limited'));
    await c.barrier();
    assert.equal(c.closeInfo, null);
  });

  it('presence: one record per member with their public fields, join and leave once, after the grace', async () => {
    const b = await tab(bob);
    const a = await tab(ann);
    const a2 = await tab(ann);
    // Whatever the client says about itself, the record is the member's own.
    await a.channel.presence.join('1', { name: 'Mallory', admin: true });
    const annRecord = { community_member_id: ann.id, name: 'Ann Example', avatar_url: null };
    await until(() => b.w.presence.some((p) => p.type === 'join'), { what: 'the join at b' });
    assert.deepEqual(b.w.presence.filter((p) => p.type === 'join'), [{ type: 'join', id: String(ann.id), info: annRecord }]);
    assert.deepEqual(await b.channel.presence.info(), { [ann.id]: annRecord });
    // The second tab joins: no second join event.
    await a2.channel.presence.join(String(ann.id), {});
    await b.channel.presence.join(String(bob.id), {});
    await until(() => b.w.presence.filter((p) => p.type === 'join').length === 2, { what: 'bob\'s own join' });
    assert.deepEqual(b.w.presence.filter((p) => p.type === 'join').map((p) => p.id), [String(ann.id), String(bob.id)]);
    // One tab drops: Ann is still present (the other tab), no leave, even past the grace.
    drop(a.cable);
    a.cable.disconnect();
    await sleep(3500);
    assert.deepEqual(b.w.presence.filter((p) => p.type === 'leave'), []);
    // The other tab drops: a leave once the grace (--presence-ttl 2) has passed, not before.
    const droppedAt = Date.now();
    drop(a2.cable);
    a2.cable.disconnect();
    await until(() => b.w.presence.some((p) => p.type === 'leave'), { what: 'the leave' });
    const waited = Date.now() - droppedAt;
    assert.ok(waited >= 1990, `left after ${waited} ms, before the grace of 2 s`);
    assert.deepEqual(b.w.presence.filter((p) => p.type === 'leave'), [{ type: 'leave', id: String(ann.id) }]);
    const raw = b.cable.sockets[0].frames.find((f) => f.includes('"leave"'));
    assert.equal(raw, `{"type":"presence","identifier":${JSON.stringify(b.channel.identifier)},"message":{"type":"leave","id":"${ann.id}"}}`);
    b.cable.disconnect();
  });

  it('a restore within the grace keeps the member present: no leave at all', async () => {
    const b = await tab(bob);
    const a = await tab(ann);
    await a.channel.presence.join(String(ann.id), {});
    await until(() => b.w.presence.some((p) => p.type === 'join' && p.id === String(ann.id)), { what: 'the join' });
    const reconnected = nextConnect(a.cable);
    drop(a.cable);
    assert.equal((await reconnected).restored, true);
    await sleep(3000);
    // (Bob's tab of the test before may leave meanwhile: only Ann matters here.)
    assert.deepEqual(b.w.presence.filter((p) => p.type === 'leave' && p.id === String(ann.id)), []);
    assert.deepEqual(Object.keys(await b.channel.presence.info()), [String(ann.id)]);
    a.cable.disconnect();
    b.cable.disconnect();
  });

  it('presence refused: a channel without presence rejects info() instead of hanging; outsiders cannot even subscribe', async () => {
    const cable = await anyCable(server.wsUrl, server.token(ann.id));
    cables.push(cable);
    const ch = cable.subscribeTo('NotificationChannel');
    await ch.ensureSubscribed();
    await assert.rejects(ch.presence.info(), /failed to retrieve presence/);
    cable.disconnect();
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(cat.id), protocols: [EXT] });
    raws.push(c);
    assert.equal(await c.subscribe(roomId(room)), 'reject');
    c.send({ command: 'presence', identifier: roomId(room), data: {} });
    await c.expect(`{"type":"presence","identifier":${JSON.stringify(roomId(room))},"message":{"type":"error","reason":"not_subscribed"}}`);
    c.send({ command: 'join', identifier: roomId(room), presence: { id: String(ann.id) } });
    await c.expect(`{"type":"presence","identifier":${JSON.stringify(roomId(room))},"message":{"type":"error","reason":"not_subscribed"}}`);
  });

  it('info with return_records:false gives the total alone; /metrics counts what happened', async () => {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(bob.id), protocols: [EXT] });
    raws.push(c);
    assert.equal(await c.subscribe(roomId(room)), 'confirm');
    c.send({ command: 'presence', identifier: roomId(room), data: { return_records: false } });
    const f = JSON.parse(await c.expect((s) => s.startsWith('{"type":"presence"')));
    assert.deepEqual(Object.keys(f.message), ['type', 'total']);
    const m = await request(server.port, { path: '/metrics' });
    const value = (name) => Number(new RegExp(`^cabled_${name} (\\d+)$`, 'm').exec(m.body)[1]);
    for (const name of ['whispers_total', 'whispers_rejected_total', 'presence_joins_total',
      'presence_infos_total', 'sessions_restored_total', 'histories_served_total']) {
      assert.ok(value(name) > 0, `${name} is ${value(name)}`);
    }
  });
});

describe('token lifetime', () => {
  let server;
  const raws = [];
  const cables = [];
  before(async () => { server = await startServer({ pingInterval: 1, members: 2, single: true }); });
  after(async () => {
    closeAll(raws);
    for (const c of cables) c.disconnect();
    await stopAll();
  });

  it('a live socket whose token expires gets token_expired; the refresher reconnects and nothing is lost', async () => {
    let refreshed = 0;
    const cable = await anyCable(server.wsUrl, server.token(1, { ttl: 6 }), {
      tokenRefresher: async (transport) => {
        refreshed++;
        transport.setToken(server.token(1), 'jid');
      },
    });
    cables.push(cable);
    const ch = cable.subscribeTo('NotificationChannel');
    const w = watch(ch);
    await ch.ensureSubscribed();
    await publish(server, { stream: 'notification-channel-1', data: { n: 0 } });
    await until(() => w.messages.some(([m]) => m.n === 0), { what: 'the first message' });
    const reconnected = nextConnect(cable, { timeoutMs: 20000 });
    await until(() => cable.events.some((e) => e[0] === 'close'), { timeoutMs: 15000, what: 'the close' });
    const closeEv = cable.events.find((e) => e[0] === 'close')[1];
    assert.equal(closeEv.reason, 'token_expired');
    assert.ok(cable.sockets[0].frames.includes(frames.disconnect('token_expired', false)));
    // Published while the client fetches its new token.
    await publish(server, { stream: 'notification-channel-1', data: { n: 1 } });
    await reconnected;
    assert.equal(refreshed, 1);
    await until(() => w.messages.some(([m]) => m.n === 1), { what: 'the message sent meanwhile' });
    await publish(server, { stream: 'notification-channel-1', data: { n: 2 } });
    await until(() => w.messages.some(([m]) => m.n === 2), { what: 'a live message' });
    const ns = w.messages.map(([m]) => m.n);
    assert.deepEqual(ns.slice(ns.indexOf(0)), [0, 1, 2]);
    cable.disconnect();
  });

  it('refresh_token replaces the token in band: the socket outlives the first one', async () => {
    // Every token minted before the short one starts to run out (minting runs the binary).
    const other = server.token(1);
    const expired = server.token(2, { ttl: -5 });
    const fresh = server.token(2, { ttl: 600 });
    const short = server.token(2, { ttl: 5 });
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: short, protocols: [EXT] });
    raws.push(c);
    assert.equal(await c.subscribe(NOTIF), 'confirm');
    c.send({ command: 'refresh_token', token: 'garbage' });
    await c.expect('{"type":"token_refresh_rejected","reason":"invalid"}');
    c.send({ command: 'refresh_token', token: other });
    await c.expect('{"type":"token_refresh_rejected","reason":"other_member"}');
    c.send({ command: 'refresh_token', token: expired });
    await c.expect('{"type":"token_refresh_rejected","reason":"expired"}');
    c.send({ command: 'refresh_token', token: fresh });
    const ok = JSON.parse(await c.expect((s) => s.startsWith('{"type":"token_refreshed"')));
    assert.ok(ok.exp > Date.now() / 1000 + 500);
    // A ping stamped at or past the first token's exp: the server checked the token then (it
    // checks before it pings) and kept the socket.
    const firstExp = claimsOf(short).exp;
    await c.expect((s) => {
      const m = /^\{"type":"ping","message":(\d+)\}$/.exec(s);
      return m && Number(m[1]) >= firstExp;
    }, { timeoutMs: 15000, what: `a ping at or past ${firstExp}` });
    assert.equal(c.closeInfo, null);
    await publish(server, { stream: 'notification-channel-2', data: { still: 'here' } });
    await c.expect((s) => s.includes('"still"'));
  });

  it('a plain socket whose token expires is told too', async () => {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(2, { ttl: 4 }) });
    raws.push(c);
    await c.expect(frames.disconnect('token_expired', false), { timeoutMs: 15000 });
    assert.equal((await c.waitClose()).code, 1000);
  });
});
