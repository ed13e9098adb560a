'use strict';
// Removing members from a group room (DELETE /api/headless/v1/messages/{uuid}/chat_room_participants/{member}):
// who may remove whom, and that a removed member's existing Chats::RoomChannel subscription stops
// receiving at once while the others keep receiving; leaving a room; direct rooms keep their members.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const {
  streams, chatMember, call, ok, okRoom, assertError, errorBody, ChatSocket, settle, send,
} = require('./lib/chat');

describe('removing members from a room', () => {
  let server;
  let ann, bob, cat;
  const sockets = [];
  before(async () => {
    server = await startServer({ args: ['--threads', '2'] });
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
      { chat_room: { kind: 'group_chat', name: 'Crew', community_member_ids: [bob.id, cat.id] } }, 201);
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
      { chat_room: { kind: 'group_chat', name: 'Leavers', community_member_ids: [bob.id] } }, 201);
    const r = await call(server, bob, 'DELETE', `/messages/${room.uuid}/chat_room_participants/${bob.id}`);
    assert.equal(r.status, 204, r.body);
    const list = await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_participants`);
    assert.deepEqual(list.records.map((p) => p.community_member_id), [ann.id]);

    const direct = await okRoom(server, ann, 'POST', '/messages',
      { chat_room: { kind: 'direct', community_member_ids: [cat.id] } }, 201);
    assertError(await call(server, ann, 'DELETE', `/messages/${direct.uuid}/chat_room_participants/${cat.id}`), 422,
      errorBody('only group rooms change their members'));
  });
});
