// The official Rails client (@rails/actioncable) beside clients of the extended protocol
// (@anycable/core) on the same streams: it still negotiates actioncable-v1-json and every frame
// it gets is the plain protocol's, byte for byte: no stream_id, epoch or offset, no restored
// welcome, no whisper, no presence event, while the extended clients around it get all of them.
// Node is not a browser: see actioncable.test.js for the WebSocket the client is given.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer, stopAll, ORIGIN } = require('./lib/server');
const { publish, createMember } = require('./lib/http');
const { frames, ident, WELCOME_RE, isPing } = require('./lib/clients');
const { anyCable, watch, until } = require('./lib/anycable');

const railsSockets = [];
class OriginWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { headers: { Origin: ORIGIN } });
    this.received = [];
    railsSockets.push(this);
    this.on('message', (data, isBinary) => { if (!isBinary) this.received.push(data.toString('utf8')); });
  }
}
globalThis.WebSocket = OriginWebSocket;
if (typeof globalThis.addEventListener !== 'function') globalThis.addEventListener = () => {};
if (typeof globalThis.removeEventListener !== 'function') globalThis.removeEventListener = () => {};
const ActionCable = require('@rails/actioncable');

describe('@rails/actioncable beside @anycable/core', () => {
  let server;
  const cables = [];
  const consumers = [];
  before(async () => { server = await startServer({ pingInterval: 1, single: true }); });
  after(async () => {
    for (const c of consumers) c.disconnect();
    for (const c of cables) c.disconnect();
    for (const s of railsSockets) s.terminate();
    await stopAll();
  });

  it('sees exactly the plain frames while extended clients get positions, whispers and presence', async () => {
    const ann = await createMember(server, { name: 'Ann Rails' });
    const bob = await createMember(server, { name: 'Bob Any' });
    const room = await server.createRoom([ann.id, bob.id]);
    const consumer = ActionCable.createConsumer(`${server.wsUrl}?token=${server.token(ann.id)}&sid=AAAAAAAAAAAAAAAAAAAAA`);
    consumers.push(consumer);
    const received = [];
    const roomIdent = { channel: 'Chats::RoomChannel', chat_room_id: room.id };
    let connected = false;
    consumer.subscriptions.create(roomIdent, {
      connected: () => { connected = true; },
      received: (d) => received.push(d),
    });
    await until(() => connected, { what: 'the Rails client to be subscribed' });
    assert.equal(consumer.connection.getProtocol(), 'actioncable-v1-json');

    const b = await anyCable(server.wsUrl, server.token(bob.id));
    cables.push(b);
    const ch = b.subscribeTo('Chats::RoomChannel', { chat_room_id: room.id });
    const w = watch(ch);
    await ch.ensureSubscribed();
    await ch.presence.join(String(bob.id), {});
    await ch.whisper({ event: 'typing' });
    await publish(server, { stream: `chat-room-${room.id}-channel`, data: { n: 1 } });
    await until(() => w.messages.some(([m]) => m.n === 1) && received.length === 1, { what: 'the broadcast' });
    assert.deepEqual(w.messages.find(([m]) => m.n === 1)[1].stream, `chat-room-${room.id}-channel`);
    assert.ok(w.presence.some((p) => p.type === 'join'));

    assert.equal(railsSockets.length, 1);
    const sock = railsSockets[0];
    const id = ident(roomIdent);
    const got = sock.received.filter((f) => !isPing(f));
    assert.match(got[0], WELCOME_RE);
    assert.deepEqual(got.slice(1), [frames.confirm(id), frames.data(id, '{"n":1}')]);
    assert.deepEqual(received, [{ n: 1 }]);
  });
});
