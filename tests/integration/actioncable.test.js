// The official @rails/actioncable client (8.1.400) against cabled, in node: it connects with the
// token in ?token= and the actioncable-v1-json subprotocol, subscribes, receives broadcasts
// through `received`, gets `rejected` for another member's channel, stops receiving after
// unsubscribe (of a room's Chats::RoomChannel: member 1 and a group room holding it are created
// through the admin API first), stops for good on an unauthorized disconnect, and after SIGTERM (server_restart,
// reconnect:true) reconnects by itself to a new server on the same port, re-subscribes, reports
// connected({reconnected: true}) and receives new broadcasts; and it receives the chat events of a
// message posted through the Member API on the room's and the member's channels.
//
// Node is not a browser, so the client needs three things a page would give it:
// - WebSocket: a `ws` subclass that adds the Origin header a browser would send. It is set on
//   globalThis before the client is loaded, because the client reads it at load time
//   (adapters.WebSocket).
// - addEventListener/removeEventListener as globals: ConnectionMonitor.start() registers a
//   document "visibilitychange" listener on the global object. Tabs never change visibility
//   here, so no-ops are enough; nothing else in the client touches window or document when the
//   consumer URL is a ws:// URL.
// The client's stale threshold is lowered from 6 s to 2 s (with --ping-interval 1, keeping the
// stock ratio of two ping intervals) so a reconnect takes seconds, not up to half a minute.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer, stopAll, ORIGIN } = require('./lib/server');
const { publish } = require('./lib/http');
const { frames, ident } = require('./lib/clients');

/** Every socket the client opened, with the text frames it received. */
const sockets = [];
class OriginWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { headers: { Origin: ORIGIN } });
    this.received = [];
    sockets.push(this);
    this.on('message', (data, isBinary) => { if (!isBinary) this.received.push(data.toString('utf8')); });
  }
}
globalThis.WebSocket = OriginWebSocket;
if (typeof globalThis.addEventListener !== 'function') globalThis.addEventListener = () => {};
if (typeof globalThis.removeEventListener !== 'function') globalThis.removeEventListener = () => {};
const ActionCable = require('@rails/actioncable');

ActionCable.ConnectionMonitor.staleThreshold = 2;
if (process.env.ACTIONCABLE_DEBUG) ActionCable.logger.enabled = true;

/** Subscribes through consumer and records callbacks as [name, arg] in `events`. */
function watch(consumer, params) {
  const events = [];
  const waiters = new Set();
  const fire = () => { for (const w of [...waiters]) w(); };
  const record = (name) => function (arg) { events.push([name, arg]); fire(); };
  const sub = consumer.subscriptions.create(params, {
    connected: record('connected'),
    disconnected: record('disconnected'),
    rejected: record('rejected'),
    received: record('received'),
  });
  /** Resolves with the first event after index `from` accepted by pred. */
  function next(pred, { from = 0, timeoutMs = 10000, what = 'an event' } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = events.slice(from).find(pred);
        if (!e) return;
        waiters.delete(check); clearTimeout(t); resolve(e);
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${JSON.stringify(events)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }
  return { sub, events, next };
}

const is = (name, arg) => (e) => e[0] === name && (arg === undefined || JSON.stringify(e[1]) === JSON.stringify(arg));

describe('@rails/actioncable client', () => {
  let server;
  let room;
  const consumers = [];

  before(async () => {
    server = await startServer({ pingInterval: 1, members: 2 });
    const member = 1; // the consumers below connect as member 1, created with the server
    room = await server.createRoom([member]);
  });
  after(async () => {
    for (const c of consumers) c.disconnect();
    for (const s of sockets) s.terminate();
    await stopAll();
  });

  function consumerFor(member, srv = server) {
    const url = `${srv.wsUrl}?token=${srv.token(member)}`;
    const c = ActionCable.createConsumer(url);
    consumers.push(c);
    return { consumer: c, socketsOf: () => sockets.filter((s) => s.url === url) };
  }

  it('loads with the ws adapter', () => {
    assert.equal(ActionCable.adapters.WebSocket, OriginWebSocket);
  });

  it('subscribes with actioncable-v1-json and receives broadcasts', async () => {
    const { consumer, socketsOf } = consumerFor(1);
    const w = watch(consumer, { channel: 'NotificationChannel', community_member_id: 1 });
    await w.next(is('connected', { reconnected: false }), { what: 'connected' });
    assert.equal(consumer.connection.getProtocol(), 'actioncable-v1-json');
    const data = { event: 'newNotification', data: { id: 7, title: 'Hi <b>' } };
    await publish(server, { stream: 'notification-channel-1', data });
    assert.deepEqual((await w.next(is('received'), { what: 'received' }))[1], data);

    // An unknown action is ignored; the subscription keeps working.
    w.sub.perform('no_such_action', { x: 1 });
    await publish(server, { stream: 'notification-channel-1', data: { n: 2 } });
    await w.next(is('received', { n: 2 }), { what: 'the second broadcast' });
    assert.equal(w.events.filter(is('disconnected')).length, 0);
    assert.equal(socketsOf().length, 1, 'one WebSocket, no reconnects');
    consumer.disconnect();
  });

  it('fires rejected for another member\'s channel, and never connected', async () => {
    const { consumer } = consumerFor(1);
    const ok = watch(consumer, { channel: 'ChatRoomChannel', community_member_id: 1 });
    const no = watch(consumer, { channel: 'ChatRoomChannel', community_member_id: 2 });
    await no.next(is('rejected'), { what: 'rejected' });
    await ok.next(is('connected'), { what: 'connected' });
    assert.deepEqual(no.events.map((e) => e[0]), ['rejected']);
    consumer.disconnect();
  });

  it('stops delivery after unsubscribe', async () => {
    const { consumer, socketsOf } = consumerFor(1);
    const stream = `chat-room-${room.id}-channel`;
    const gone = watch(consumer, { channel: 'Chats::RoomChannel', chat_room_id: room.id });
    const keep = watch(consumer, { chat_room_id: room.id, channel: 'Chats::RoomChannel' });
    await gone.next(is('connected'), { what: 'connected' });
    await keep.next(is('connected'), { what: 'connected' });
    await publish(server, { stream, data: { n: 1 } });
    await gone.next(is('received', { n: 1 }));
    await keep.next(is('received', { n: 1 }));

    gone.sub.unsubscribe();
    // Commands are handled in order: once this reject arrives, the unsubscribe has been handled.
    const barrier = watch(consumer, { channel: 'NotificationChannel', community_member_id: 99 });
    await barrier.next(is('rejected'), { what: 'the barrier rejection' });
    const before = gone.events.length;
    await publish(server, { stream, data: { n: 2 } });
    await publish(server, { stream, data: { n: 3 } });
    await keep.next(is('received', { n: 3 }), { what: 'the last broadcast on the kept subscription' });
    assert.deepEqual(gone.events.slice(before), []);
    const goneId = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
    const late = socketsOf()[0].received.filter((s) => s === frames.data(goneId, '{"n":2}') || s === frames.data(goneId, '{"n":3}'));
    assert.deepEqual(late, [], 'frames for the unsubscribed identifier');
    consumer.disconnect();
  });

  it('receives the chat events of a message posted through the Member API, on each of its channels', async () => {
    const { consumer } = consumerFor(1);
    const inRoom = watch(consumer, { channel: 'Chats::RoomChannel', chat_room_uuid: room.uuid });
    const mine = watch(consumer, { channel: 'ChatRoomChannel' });
    await inRoom.next(is('connected'), { what: 'room connected' });
    await mine.next(is('connected'), { what: 'ChatRoomChannel connected' });
    const r = await fetch(`${server.httpUrl}/api/headless/v1/messages/${room.uuid}/chat_room_messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token(1)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: 'hello <team>', creation_uuid: 'ac-1' }),
    });
    assert.equal(r.status, 202, await r.text());
    for (const w of [inRoom, mine]) {
      const [, msg] = await w.next(is('received'), { what: 'newMessage' });
      assert.equal(msg.event, 'newMessage');
      assert.equal(msg.data.body, 'hello <team>');
      assert.equal(msg.data.creation_uuid, 'ac-1');
      assert.equal(msg.data.chat_room_uuid, room.uuid);
      assert.equal(msg.data.sender.community_member_id, 1);
    }
    consumer.disconnect();
  });

  it('stops for good on an unauthorized disconnect', async () => {
    const url = `${server.wsUrl}?token=not-a-valid-token`;
    const consumer = ActionCable.createConsumer(url);
    consumers.push(consumer);
    const w = watch(consumer, { channel: 'NotificationChannel' });
    await w.next(is('disconnected', { willAttemptReconnect: false }), { what: 'disconnected without reconnect' });
    const s = sockets.filter((x) => x.url === url);
    assert.equal(s.length, 1);
    assert.deepEqual(s[0].received, [frames.disconnect('unauthorized', false)]);
    assert.equal(w.events.filter(is('connected')).length, 0);
  });

  it('reconnects after SIGTERM to a server restarted on the same port, re-subscribes and receives', { timeout: 60000 }, async () => {
    const first = await startServer({ pingInterval: 1, members: 1 });
    const { consumer, socketsOf } = consumerFor(1, first);
    const w = watch(consumer, { channel: 'Chats::CommunityMemberThreadsChannel', community_member_id: 1 });
    await w.next(is('connected', { reconnected: false }), { what: 'connected' });
    await publish(first, { stream: 'chat-community-member-1-threads-channel', data: { before: 'restart' } });
    await w.next(is('received', { before: 'restart' }));

    const mark = w.events.length;
    const stopped = first.stop('SIGTERM');
    await w.next(is('disconnected', { willAttemptReconnect: true }), { from: mark, what: 'disconnected with reconnect' });
    assert.deepEqual(await stopped, { code: 0, signal: null });
    const firstSocket = socketsOf()[0];
    assert.equal(firstSocket.received.filter((s) => s === frames.disconnect('server_restart', true)).length, 1,
      `server_restart frame; received: ${JSON.stringify(firstSocket.received.slice(-3))}`);

    const second = await startServer({ port: first.port, pingInterval: 1, members: 1 });
    await w.next(is('connected', { reconnected: true }), { from: mark, timeoutMs: 40000, what: 'connected({reconnected: true})' });
    assert.ok(socketsOf().length >= 2, 'a new WebSocket was opened');
    await publish(second, { stream: 'chat-community-member-1-threads-channel', data: { after: 'restart' } });
    await w.next(is('received', { after: 'restart' }), { from: mark, what: 'the broadcast after the restart' });
    consumer.disconnect();
    await second.stop();
  });
});
