'use strict';
// Removing members from a group room (DELETE /api/headless/v1/messages/{uuid}/chat_room_participants/{member}):
// who may remove whom, and that a removed member's existing Chats::RoomChannel subscription stops
// receiving at once while the others keep receiving; leaving a room; direct rooms keep their members;
// a removed member's threads channel hears nothing more of the room's threads; and subscribes racing
// a removal never outlive it.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const {
  streams, chatMember, call, ok, okRoom, assertError, errorBody, ChatSocket, settle, send,
} = require('./lib/chat');
const { CableClient, closeAll, ident, frames, railsJSON } = require('./lib/clients');
const { publish, api } = require('./lib/http');

describe('removing members from a room', () => {
  let server;
  let ann, bob, cat;
  const sockets = [];
  before(async () => {
    // Every room access check reports 2 ms after it looked at the store, as a preempted worker
    // would: removals then overtake checks in many rounds of the race below.
    server = await startServer({ args: ['--threads', '2'], env: { CABLED_FAULT_ROOM_CHECK_DELAY_MS: '2' } });
    ann = await chatMember(server, 'Ann Lee');
    bob = await chatMember(server, 'Bob Ray');
    cat = await chatMember(server, 'Cat Moe');
  });
  after(async () => {
    for (const s of sockets) s.close();
    await stopAll();
  });

  it('the creator removes a member: their room subscription goes quiet at once, others keep receiving', async () => {
    const room = await okRoom(server, ann, 'POST', '/messages',
      { chat_room: { kind: 'group_chat', name: 'Crew', community_member_ids: [bob.id, cat.id] } }, 200);
    const sa = await ChatSocket.open(server, ann, 'ann');
    const sb = await ChatSocket.open(server, bob, 'bob');
    const sc = await ChatSocket.open(server, cat, 'cat');
    sockets.push(sa, sb, sc);
    for (const s of [sa, sb, sc]) await s.joinRoom(room);
    await settle(server, [sa, sb, sc]);

    // Only the creator removes others.
    assertError(await call(server, bob, 'DELETE', `/messages/${room.uuid}/chat_room_participants/${cat.id}`), 403,
      errorBody('only the creator of a group room can remove others'), 'bob removes cat');
    const r = await call(server, ann, 'DELETE', `/messages/${room.uuid}/chat_room_participants/${cat.id}`);
    assert.equal(r.status, 204, r.body);

    // A message and a raw broadcast to the room: cat's subscription gets neither.
    sc.silence(streams.room(room.id));
    await send(server, ann, room, { body: 'after cat left' });
    const [ea, eb, ec] = await settle(server, [sa, sb, sc], [{ stream: streams.room(room.id), data: { event: 'ping', data: {} } }]);
    const roomEvents = (events) => events.filter((e) => e.stream === streams.room(room.id)).map((e) => e.event);
    assert.deepEqual(roomEvents(ea), ['newMessage', 'ping']);
    assert.deepEqual(roomEvents(eb), ['newMessage', 'ping']);
    assert.deepEqual(ec, [], 'the removed member hears nothing: neither the room nor its own chat-room stream');

    // The room counts two participants now.
    assert.equal((await okRoom(server, ann, 'GET', `/messages/${room.uuid}`)).chat_room_participants_count, 2);
    // Cat no longer sees the room, and cannot subscribe to it again.
    assertError(await call(server, cat, 'GET', `/messages/${room.uuid}`), 404, errorBody('Chat room not found'));
    assert.equal(await sc.tryRoom({ chat_room_id: room.id, again: 1 }, room.id), 'reject');
    // Removing again: not a participant any more.
    assertError(await call(server, ann, 'DELETE', `/messages/${room.uuid}/chat_room_participants/${cat.id}`), 404,
      errorBody('Chat room participant not found'));
  });

  it('a member may leave; a direct room keeps its members', async () => {
    const room = await okRoom(server, ann, 'POST', '/messages',
      { chat_room: { kind: 'group_chat', name: 'Leavers', community_member_ids: [bob.id] } }, 200);
    const r = await call(server, bob, 'DELETE', `/messages/${room.uuid}/chat_room_participants/${bob.id}`);
    assert.equal(r.status, 204, r.body);
    const list = await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_participants`);
    assert.deepEqual(list.records.map((p) => p.community_member_id), [ann.id]);

    const direct = await okRoom(server, ann, 'POST', '/messages',
      { chat_room: { kind: 'direct', community_member_ids: [cat.id] } }, 200);
    assertError(await call(server, ann, 'DELETE', `/messages/${direct.uuid}/chat_room_participants/${cat.id}`), 422,
      errorBody('only group rooms change their members'));
  });

  it('a removed member hears nothing more of the threads they wrote in', async () => {
    const room = await okRoom(server, ann, 'POST', '/messages',
      { chat_room: { kind: 'group_chat', name: 'Threads', community_member_ids: [bob.id, cat.id] } }, 200);
    const parent = await send(server, ann, room, { body: 'a question' });
    await send(server, cat, room, { body: 'cat answers', parent_message_id: parent.id });
    const sc = await ChatSocket.open(server, cat, 'cat');
    const sb = await ChatSocket.open(server, bob, 'bob');
    sockets.push(sc, sb);
    await settle(server, [sc, sb]);

    const r = await call(server, ann, 'DELETE', `/messages/${room.uuid}/chat_room_participants/${cat.id}`);
    assert.equal(r.status, 204, r.body);
    // A new reply, its edit and its deletion: the thread's participants hear of each, cat of none.
    const reply = await send(server, bob, room, { body: 'bob too', parent_message_id: parent.id });
    await ok(server, bob, 'PUT', `/messages/${room.uuid}/chat_room_messages/${reply.id}`, { body: 'bob, edited' });
    await ok(server, bob, 'DELETE', `/messages/${room.uuid}/chat_room_messages/${reply.id}`, undefined, 200);
    const [ec, eb] = await settle(server, [sc, sb]);
    assert.deepEqual(ec, [], 'the removed member gets no thread event');
    const threadEvents = eb.filter((e) => e.stream === streams.threads(bob.id)).map((e) => e.event);
    assert.deepEqual(threadEvents, ['newMessage', 'updatedMessage', 'deletedMessage']);
  });

  it('a subscribe racing the removal never outlives it (80 rounds, 40 sockets)', async () => {
    // Forty sockets of cat, each with its own NotificationChannel: the fence of every round.
    const notif = ident({ channel: 'NotificationChannel' });
    const clients = [];
    for (let i = 0; i < 40; i++) {
      const c = await CableClient.connectWelcomed(server.wsUrl, { token: cat.token });
      assert.equal(await c.subscribe(notif), 'confirm');
      clients.push(c);
    }
    let confirmed = 0;
    let rejected = 0;
    try {
      for (let round = 0; round < 80; round++) {
        const room = await okRoom(server, ann, 'POST', '/messages',
          { chat_room: { kind: 'group_chat', name: `Race ${round}`, community_member_ids: [cat.id] } }, 200);
        const id = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
        for (const c of clients) c.take();
        // The removal leaves first; the subscribes follow in small groups a millisecond apart,
        // from a different start each round, so that some access checks run while it commits.
        const removal = call(server, ann, 'DELETE', `/messages/${room.uuid}/chat_room_participants/${cat.id}`);
        const answers = [];
        for (let i = 0; i < clients.length; i++) {
          if (i % 4 === round % 4) await new Promise((res) => setTimeout(res, 1));
          const c = clients[i];
          c.send(frames.subscribe(id));
          answers.push(c.expect((s) => s === frames.confirm(id) || s === frames.reject(id), { what: `round ${round}` }));
        }
        const got = await Promise.all(answers);
        assert.equal((await removal).status, 204);
        confirmed += got.filter((g) => g.endsWith('"confirm_subscription"}')).length;
        rejected += got.filter((g) => g.endsWith('"reject_subscription"}')).length;
        // A broadcast to the room, then the fence on each socket's own stream, in one batch: each
        // connection gets them in that order, so once the fence is in, the room's frame would be too.
        const fence = { fence: round };
        await publish(server, [{ stream: streams.room(room.id), data: { round } },
          { stream: streams.notifications(cat.id), data: fence }]);
        for (const c of clients) {
          await c.expect(frames.data(notif, railsJSON(fence)), { what: `the fence of round ${round}` });
          const leaked = c.inbox.filter((s) => s.startsWith(`{"identifier":${JSON.stringify(id)},"message"`));
          assert.deepEqual(leaked, [], `round ${round}: a removed member still receives the room`);
        }
      }
    } finally {
      closeAll(clients);
    }
    assert.equal(confirmed + rejected, 80 * 40);
  });

  it('a room the host application created gives no member a creator\'s rights', async () => {
    // ann has the lowest id of the three: she must not become the room's owner.
    const r1 = await api(server, 'POST', '/api/admin/v2/chat_rooms',
      { kind: 'group_chat', name: 'Host group', community_member_ids: [cat.id, ann.id, bob.id] });
    assert.equal(r1.status, 201, r1.body);
    const group = r1.json().chat_room;
    const msg = await send(server, ann, group, { body: 'pin me?' });
    for (const m of [ann, bob, cat]) {
      assertError(await call(server, m, 'PATCH', `/messages/${group.uuid}`, { chat_room: { name: 'Mine' } }), 403,
        errorBody('You are not allowed to do this'), `member ${m.id} renames`);
      assertError(await call(server, m, 'PATCH', `/messages/${group.uuid}`, { chat_room: { pinned_message_id: msg.id } }),
        403, errorBody('only the host application changes this room'), `member ${m.id} pins`);
      assertError(await call(server, m, 'DELETE', `/messages/${group.uuid}`), 403,
        errorBody('only the creator of a group room can delete it'), `member ${m.id} deletes`);
    }
    assertError(await call(server, ann, 'DELETE', `/messages/${group.uuid}/chat_room_participants/${bob.id}`), 403,
      errorBody('only the creator of a group room can remove others'), 'ann removes bob');
    // Leaving is anyone's right.
    assert.equal((await call(server, cat, 'DELETE', `/messages/${group.uuid}/chat_room_participants/${cat.id}`)).status, 204);
    assert.equal((await okRoom(server, ann, 'GET', `/messages/${group.uuid}`)).chat_room_name, 'Host group');

    // An embedded room is the host's too.
    const r2 = await api(server, 'POST', '/api/admin/v2/chat_rooms',
      { kind: 'space', name: 'Host space', community_member_ids: [ann.id, bob.id] });
    const space = r2.json().chat_room;
    assertError(await call(server, ann, 'PATCH', `/messages/${space.uuid}`, { chat_room: { name: 'Renamed' } }), 403,
      errorBody('You are not allowed to do this'), 'ann renames the space');
    // A member-created group keeps its creator's rights, and any participant may pin.
    const own = await okRoom(server, ann, 'POST', '/messages',
      { chat_room: { kind: 'group_chat', name: 'Own', community_member_ids: [bob.id] } }, 200);
    const m2 = await send(server, ann, own, { body: 'pin me' });
    assert.equal((await call(server, bob, 'PATCH', `/messages/${own.uuid}`, { chat_room: { pinned_message_id: m2.id } })).status, 200);
    assert.equal((await call(server, ann, 'PATCH', `/messages/${own.uuid}`, { chat_room: { name: 'Own 2' } })).status, 200);
  });
});
