// What one connection may hold, and that no command is lost: an identifier longer than
// --max-identifier-bytes is rejected (and kept nowhere), a connection holds at most
// --max-subscriptions, and every one of hundreds of commands sent behind a pending room
// subscribe is answered, in order.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { createMembers, createRoom } = require('./lib/http');
const { CableClient, closeAll, ident, frames } = require('./lib/clients');

describe('subscription limits', () => {
  let server;
  let room;
  const clients = [];
  before(async () => {
    // Room access checks report 5 ms late (as a busy worker pool would), so the commands sent
    // behind a room subscribe really wait for it.
    server = await startServer({
      single: true,
      args: ['--max-identifier-bytes', '200', '--max-subscriptions', '20'],
      env: { CABLED_FAULT_ROOM_CHECK_DELAY_MS: '5' },
    });
    const [m] = await createMembers(server, 1);
    room = await createRoom(server, [m]);
  });
  after(async () => {
    closeAll(clients);
    await stopAll();
  });

  const open = async () => {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
    clients.push(c);
    return c;
  };

  it('an identifier over --max-identifier-bytes is rejected; one at the limit is confirmed', async () => {
    const c = await open();
    const pad = (n) => {
      const base = ident({ channel: 'NotificationChannel', pad: '' });
      return ident({ channel: 'NotificationChannel', pad: 'x'.repeat(n - base.length) });
    };
    assert.equal(pad(200).length, 200);
    assert.equal(await c.subscribe(pad(200)), 'confirm');
    assert.equal(await c.subscribe(pad(201)), 'reject');
  });

  it('a connection holds --max-subscriptions; the next subscribe is rejected, an unsubscribe makes room', async () => {
    const c = await open();
    const id = (i) => ident({ channel: 'NotificationChannel', n: i });
    for (let i = 0; i < 20; i++) assert.equal(await c.subscribe(id(i)), 'confirm', `subscription ${i}`);
    assert.equal(await c.subscribe(id(20)), 'reject');
    c.send(frames.unsubscribe(id(0)));
    assert.equal(await c.subscribe(id(20)), 'confirm');
  });

  it('every command behind a pending room subscribe is answered, in order (400 of them)', async () => {
    const c = await open();
    const roomId = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
    const ids = [roomId];
    for (let i = 0; i < 399; i++) ids.push(ident({ channel: 'NotificationChannel', q: i }));
    // Sent back to back: the room subscribe waits for the store, the 399 others for it.
    for (const id of ids) c.send(frames.subscribe(id));
    const answers = [];
    await c.until(() => {
      const got = c.inbox.filter((s) => /"type":"(confirm|reject)_subscription"/.test(s));
      answers.splice(0, answers.length, ...got);
      return got.length >= ids.length;
    }, { timeoutMs: 10000, what: '400 answers' });
    assert.equal(answers.length, ids.length);
    // In order; the room and the first 19 others fill the 20 subscriptions, the rest are rejected.
    answers.forEach((a, i) => {
      const want = i < 20 ? frames.confirm(ids[i]) : frames.reject(ids[i]);
      assert.equal(a, want, `answer ${i}`);
    });
  });
});
