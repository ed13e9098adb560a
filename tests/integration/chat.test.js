// Chat rooms and top-level messages on the real binary (SPEC 2.4, 2.5, 3.2).
// (1) Events: for each REST action, the exact event and data on each stream that must get it,
// and nothing on any other stream (checked after the fence of lib/chat.js settle(), never after
// a sleep): chatRoomCreated with each participant's own view (direct, group, admin-created;
// none for an embedded room or an existing direct pair), newMessage on the room stream and the
// members' chat-room streams (only the room stream for an embedded room), updatedMessage,
// deletedMessage {id, parent_message: null}, chatRoomUpdated on the room stream and, for a
// rename, the members' streams, chatRoomPinned/UnPinned (+ chatRoomUpdated) to the pinning
// member only, chatRoomRead to every device of the reader only, chatRoomDeleted to every
// participant, after which a broadcast to the room's stream reaches nobody.
// (2) Member API errors: bodies, kinds, member ids, unknown and foreign rooms (404, and
// reject_subscription), other members' messages (403), creator-only actions (403), direct
// rename (422), paging (400), tokens (401), the admin room route, wrong methods (405); none of
// them produces an event.
// (3) Counts: unread_messages_count, last_read_message_id and unread_chat_rooms after sends,
// reads, replies, edits and deletes; previews of a large room; participants' pages; the message
// window and its has_previous_page / has_next_page.
// (4) Persistence: the same lists, rooms, windows and threads after a restart on the same --db.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, stopAll, testDatabase, ORIGIN, SECRET } = require('./lib/server');
const { api, createMember } = require('./lib/http');
const {
  ISO_MS_RE, UUID_RE, errorBody, fieldError, streams, chatMember, call, ok, okRoom, unwrapRoom, assertError, ChatSocket, settle,
  assertStreams, expectMessage, expectRoom, expectSimpleRoom, participantIds, send, sgidOf, assertFieldError,
} = require('./lib/chat');

const ROOM_NOT_FOUND = errorBody('Chat room not found');
const MESSAGE_NOT_FOUND = errorBody('Chat room message not found');
const UNAUTHORIZED = errorBody('Your account could not be authenticated.');
// The Member API's own 401 messages (Circle's): a bad token, an expired one.
const TOKEN_INVALID = errorBody('The access token is invalid.');
const TOKEN_EXPIRED = errorBody('The access token is expired.');
const PAGING = errorBody('page, per_page, id, previous_per_page and next_per_page must be non-negative ' +
  'integers (per_page 1 to 100)');

describe('chat rooms and messages', () => {
  let server;
  const sockets = [];
  before(async () => { server = await startServer({ args: ['--threads', '4'] }); });
  after(async () => {
    for (const s of sockets) s.close();
    await stopAll();
  });

  async function open(member, label) {
    const s = await ChatSocket.open(server, member, label);
    sockets.push(s);
    return s;
  }

  describe('events on the exact streams', () => {
    let ann, bob, cat, dan;
    let annA, annB, bobS, catS, danS;
    let all;
    let group, groupPids;
    let msg; // the top-level message bob sent in group

    before(async () => {
      ann = await chatMember(server, 'Ann Lee');
      bob = await chatMember(server, 'Bob Stone');
      cat = await chatMember(server, 'Cat Moss');
      dan = await chatMember(server, 'Dan Outsider');
      annA = await open(ann, 'ann (device A)');
      annB = await open(ann, 'ann (device B)');
      bobS = await open(bob, 'bob');
      catS = await open(cat, 'cat');
      danS = await open(dan, 'dan');
      all = [annA, annB, bobS, catS, danS];
    });

    /** settle() over every socket, as {annA, annB, bob, cat, dan}. */
    async function got(extra) {
      const [a, b, c, d, e] = await settle(server, all, extra);
      return { annA: a, annB: b, bob: c, cat: d, dan: e };
    }
    const R = (m) => streams.rooms(m.id);

    it('chatRoomCreated (group): each participant gets its own view on its chat-room stream, nobody else anything', async () => {
      const created = await okRoom(server, ann, 'POST', '/messages',
        { chat_room: { kind: 'group_chat', community_member_ids: [bob.id, cat.id], name: 'Planning' } }, 200);
      assert.match(created.uuid, UUID_RE);
      group = { id: created.id, uuid: created.uuid, kind: 'group_chat' };
      groupPids = await participantIds(server, ann, group);
      assert.deepEqual([...groupPids.keys()].sort((x, y) => x - y), [ann.id, bob.id, cat.id]);
      const view = (viewer) => ({
        room: group, name: 'Planning', viewer, pids: groupPids, others: [ann, bob, cat].filter((m) => m !== viewer),
      });
      expectRoom(created, view(ann), "the creator's 201 body");

      const ev = await got();
      assertStreams(ev.annA, [[R(ann), 'chatRoomCreated']], 'ann A');
      assertStreams(ev.annB, [[R(ann), 'chatRoomCreated']], 'ann B');
      assertStreams(ev.bob, [[R(bob), 'chatRoomCreated']], 'bob');
      assertStreams(ev.cat, [[R(cat), 'chatRoomCreated']], 'cat');
      assertStreams(ev.dan, [], 'dan is not in the room');
      assert.deepEqual(ev.annA[0].data, created, "ann's event carries the creator's view");
      assert.equal(ev.annB[0].text, ev.annA[0].text, 'both devices get the same bytes');
      for (const [m, e] of [[bob, ev.bob[0]], [cat, ev.cat[0]]]) {
        expectRoom(e.data, view(m), `chatRoomCreated for member ${m.id}`);
        assert.equal(e.data.current_participant.community_member_id, m.id);
        assert.ok(!e.data.other_participants_preview.some((p) => p.community_member_id === m.id),
          'other_participants_preview excludes the member itself');
        // The same view as the member's own GET.
        assert.deepEqual(await okRoom(server, m, 'GET', `/messages/${group.uuid}`), e.data);
      }
    });

    it('chatRoomCreated (direct): to both members, named after the other; an existing pair answers 200 and sends nothing', async () => {
      const created = await okRoom(server, bob, 'POST', '/messages',
        { chat_room: { kind: 'direct', community_member_ids: [String(cat.id)] } }, 200);
      const direct = { id: created.id, uuid: created.uuid, kind: 'direct' };
      const pids = await participantIds(server, bob, direct);
      const identifier = `direct-${Math.min(bob.id, cat.id)}-${Math.max(bob.id, cat.id)}`;
      expectRoom(created, { room: direct, identifier, name: cat.name, viewer: bob, pids, others: [cat] }, 'bob 201');
      const ev = await got();
      assertStreams(ev.bob, [[R(bob), 'chatRoomCreated']], 'bob');
      assertStreams(ev.cat, [[R(cat), 'chatRoomCreated']], 'cat');
      for (const k of ['annA', 'annB', 'dan']) assertStreams(ev[k], [], k);
      assert.deepEqual(ev.bob[0].data, created);
      expectRoom(ev.cat[0].data, { room: direct, identifier, name: bob.name, viewer: cat, pids, others: [bob] }, 'cat view');

      // Either member asking again gets the same room, 200, as they see it; no event.
      const again = await call(server, cat, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [bob.id] } });
      assert.equal(again.status, 200, again.body);
      assert.deepEqual(again.json(), { chat_room: ev.cat[0].data });
      const flat = await call(server, bob, 'POST', '/messages', { kind: 'direct', community_member_ids: [cat.id, bob.id] });
      assert.equal(flat.status, 200, flat.body);
      assert.equal(unwrapRoom(flat.json(), 'flat').uuid, direct.uuid);
      const ev2 = await got();
      for (const k of Object.keys(ev2)) assertStreams(ev2[k], [], `${k} after the repeated creations`);
    });

    it('chatRoomCreated: two members creating their direct room at once get one room', async () => {
      const [x, y] = await Promise.all([
        call(server, ann, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [dan.id] } }),
        call(server, dan, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [ann.id] } }),
      ]);
      assert.deepEqual([x.status, y.status], [200, 200], `${x.body} ${y.body}`);
      assert.equal(unwrapRoom(x.json(), 'ann').uuid, unwrapRoom(y.json(), 'dan').uuid);
      const ev = await got();
      assertStreams(ev.annA, [[R(ann), 'chatRoomCreated']], 'ann A');
      assertStreams(ev.annB, [[R(ann), 'chatRoomCreated']], 'ann B');
      assertStreams(ev.dan, [[R(dan), 'chatRoomCreated']], 'dan');
      assertStreams(ev.bob, [], 'bob');
      assertStreams(ev.cat, [], 'cat');
    });

    it('admin-created rooms: a group room announces itself to its members; an embedded space to nobody', async () => {
      const r1 = await api(server, 'POST', '/api/admin/v2/chat_rooms', { kind: 'group_chat', name: 'Admins', community_member_ids: [bob.id, dan.id] });
      assert.equal(r1.status, 201, r1.body);
      const admins = unwrapRoom(r1.json(), 'admin group');
      const r2 = await api(server, 'POST', '/api/admin/v2/chat_rooms', { kind: 'space', name: 'Space', community_member_ids: [ann.id, bob.id] });
      assert.equal(r2.status, 201, r2.body);
      assert.equal(unwrapRoom(r2.json(), 'admin space').chat_room_kind, 'space');
      const ev = await got();
      assertStreams(ev.bob, [[R(bob), 'chatRoomCreated']], 'bob');
      assertStreams(ev.dan, [[R(dan), 'chatRoomCreated']], 'dan');
      for (const k of ['annA', 'annB', 'cat']) assertStreams(ev[k], [], k);
      const pids = await participantIds(server, bob, admins);
      expectRoom(ev.bob[0].data, { room: { ...admins, kind: 'group_chat' }, name: 'Admins', viewer: bob, pids, others: [dan] }, 'bob view');
      expectRoom(ev.dan[0].data, { room: { ...admins, kind: 'group_chat' }, name: 'Admins', viewer: dan, pids, others: [bob] }, 'dan view');
    });

    it('newMessage (top-level, group room): the room stream and every participant\'s chat-room stream', async () => {
      await annA.joinRoom(group);
      await bobS.joinRoom(group, true); // by uuid
      await catS.joinRoom(group);
      // dan is not a participant: both ways are rejected.
      assert.equal(await danS.tryRoom({ chat_room_id: group.id }, group.id), 'reject');
      assert.equal(await danS.tryRoom({ chat_room_uuid: group.uuid }, group.id), 'reject');

      const body = 'Hello <team> & "all"\nsecond line';
      const sent = await send(server, bob, group, { body, creation_uuid: 'c-uuid-1' });
      assert.deepEqual(Object.keys(sent).sort(), ['creation_uuid', 'id', 'parent_message_id', 'sent_at']);
      assert.equal(sent.creation_uuid, 'c-uuid-1');
      assert.equal(sent.parent_message_id, null);
      assert.ok(Number.isInteger(sent.id) && sent.id > 0);
      assert.match(sent.sent_at, ISO_MS_RE);
      const exp = { id: sent.id, room: group, sender: bob, pid: groupPids.get(bob.id), body, creation_uuid: 'c-uuid-1', sentAt: sent.sent_at };

      const ev = await got();
      const G = streams.room(group.id);
      assertStreams(ev.annA, [[G, 'newMessage'], [R(ann), 'newMessage']], 'ann A');
      assertStreams(ev.annB, [[R(ann), 'newMessage']], 'ann B (not subscribed to the room)');
      assertStreams(ev.bob, [[G, 'newMessage'], [R(bob), 'newMessage']], 'bob (the sender too)');
      assertStreams(ev.cat, [[G, 'newMessage'], [R(cat), 'newMessage']], 'cat');
      assertStreams(ev.dan, [], 'dan');
      for (const e of [...ev.annA, ...ev.annB, ...ev.bob, ...ev.cat]) expectMessage(e.data, exp, `${e.stream} newMessage`);
      // The same bytes everywhere, with the HTML-sensitive characters escaped as Rails does.
      const texts = new Set([...ev.annA, ...ev.bob, ...ev.cat].map((e) => e.text.slice(e.text.indexOf(',"message":'))));
      assert.equal(texts.size, 1, 'one payload for every stream');
      assert.match(ev.bob[0].text, /Hello \\u003cteam\\u003e \\u0026 \\"all\\"\\nsecond line/);
      expectMessage(await ok(server, cat, 'GET', `/messages/${group.uuid}/chat_room_messages/${sent.id}`), exp, 'GET message');
      msg = exp;
    });

    it('newMessage with rich_text_body (object or JSON string): body is its text', async () => {
      // Mentions of cat (notified), dan (not in the room: not notified) and ann (the sender: not notified).
      const doc = { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Hi ' },
        { type: 'mention', attrs: { id: cat.id, label: 'Cat Moss' } }, { type: 'text', text: ' ' },
        { type: 'mention', attrs: { id: String(dan.id), label: 'Dan Outsider' } }, { type: 'text', text: ' ' },
        { type: 'mention', attrs: { id: ann.id, label: 'Ann Lee' } }] },
      { type: 'paragraph', content: [{ type: 'text', text: 'bye' }] }] };
      const a = await send(server, ann, group, { rich_text_body: doc, body: 'ignored' });
      const b = await send(server, ann, group, { chat_room_message: { rich_text_body: JSON.stringify(doc) } });
      const ev = await got();
      const G = streams.room(group.id);
      assertStreams(ev.bob, [[G, 'newMessage'], [G, 'newMessage'], [R(bob), 'newMessage'], [R(bob), 'newMessage']], 'bob');
      const onRoom = ev.bob.filter((e) => e.stream === G);
      // Every mention comes back naming its member both ways: attrs.id and the signed attrs.sgid.
      const shown = JSON.parse(JSON.stringify(doc));
      for (const [node, m] of [[shown.content[0].content[1], cat], [shown.content[0].content[3], dan], [shown.content[0].content[5], ann]]) {
        node.attrs = { ...node.attrs, id: m.id, sgid: await sgidOf(server, m) };
      }
      for (const [e, id] of [[onRoom[0], a.id], [onRoom[1], b.id]]) {
        expectMessage(e.data, { id, room: group, sender: ann, pid: groupPids.get(ann.id), body: 'Hi @Cat Moss @Dan Outsider @Ann Lee\nbye', rich: shown }, 'rich message');
      }
      // cat is mentioned: a notification on cat's own stream besides the chat events.
      // One notification per message (newNotification, then the new count).
      const catNotes = ev.cat.filter((e) => e.stream === streams.notifications(cat.id));
      assert.deepEqual(catNotes.map((e) => e.event), ['newNotification', 'updateNewNotificationCount', 'newNotification', 'updateNewNotificationCount'],
        "cat's notification stream");
      assert.deepEqual([catNotes[0].data.notifiable_id, catNotes[2].data.notifiable_id], [a.id, b.id]);
      assert.deepEqual([catNotes[1].data, catNotes[3].data], [{ new_notifications_count: 1 }, { new_notifications_count: 2 }]);
      assertStreams(ev.cat.filter((e) => e.stream !== streams.notifications(cat.id)),
        [[G, 'newMessage'], [G, 'newMessage'], [R(cat), 'newMessage'], [R(cat), 'newMessage']], 'cat');
      assertStreams(ev.annB, [[R(ann), 'newMessage'], [R(ann), 'newMessage']], 'ann B: no notification for the sender');
      assertStreams(ev.dan, [], 'dan');
    });

    it('newMessage bytes: non-ASCII raw, U+2028 and HTML-sensitive characters escaped as Rails does', async () => {
      const body = 'caf\u00e9 \u{1F600} a\u2028b </script>';
      const sent = await send(server, cat, group, { body });
      const ev = await got();
      const onRoom = ev.cat.find((e) => e.stream === streams.room(group.id));
      expectMessage(onRoom.data, { id: sent.id, room: group, sender: cat, pid: groupPids.get(cat.id), body, sentAt: sent.sent_at }, 'unicode');
      assert.ok(onRoom.text.includes('"body":"caf\u00e9 \u{1F600} a\\u2028b \\u003c/script\\u003e"'), onRoom.text);
      for (const k of ['annA', 'annB', 'bob', 'cat']) assert.equal(ev[k].filter((e) => e.event === 'newMessage').length, k === 'annB' ? 1 : 2, k);
      assertStreams(ev.dan, [], 'dan');
      // Keep this message out of the later tests' way.
      await ok(server, cat, 'DELETE', `/messages/${group.uuid}/chat_room_messages/${sent.id}`, undefined, 200);
      await got();
    });

    it('updatedMessage: the room stream only', async () => {
      const r = await call(server, bob, 'PUT', `/messages/${group.uuid}/chat_room_messages/${msg.id}`, { body: 'Edited <b>' });
      assert.equal(r.status, 200, r.body);
      const edited = { ...msg, body: 'Edited <b>', rich: undefined, edited: true };
      expectMessage(r.json(), edited, 'PUT answer');
      const ev = await got();
      const G = streams.room(group.id);
      assertStreams(ev.annA, [[G, 'updatedMessage']], 'ann A');
      assertStreams(ev.bob, [[G, 'updatedMessage']], 'bob');
      assertStreams(ev.cat, [[G, 'updatedMessage']], 'cat');
      for (const k of ['annB', 'dan']) assertStreams(ev[k], [], k);
      assert.deepEqual(ev.cat[0].data, r.json());
      // PATCH and the chat_room_message wrapper edit too.
      const r2 = await call(server, bob, 'PATCH', `/messages/${group.uuid}/chat_room_messages/${msg.id}`,
        { chat_room_message: { body: 'Edited again' } });
      assert.equal(r2.status, 200, r2.body);
      expectMessage(r2.json(), { ...edited, body: 'Edited again' }, 'PATCH answer');
      const ev2 = await got();
      assertStreams(ev2.annA, [[G, 'updatedMessage']], 'ann A');
      msg = { ...edited, body: 'Edited again' };
    });

    it('deletedMessage of a top-level message: {id, parent_message: null} on the room stream only', async () => {
      const extra = await send(server, cat, group, { body: 'to be deleted' });
      await got();
      const r = await call(server, cat, 'DELETE', `/messages/${group.uuid}/chat_room_messages/${extra.id}`);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, '');
      const ev = await got();
      const G = streams.room(group.id);
      for (const k of ['annA', 'bob', 'cat']) {
        assertStreams(ev[k], [[G, 'deletedMessage']], k);
        assert.deepEqual(ev[k][0].data, { id: extra.id, parent_message: null, chat_thread_id: null, deleted_reply_ids: [] });
      }
      for (const k of ['annB', 'dan']) assertStreams(ev[k], [], k);
      assertError(await call(server, cat, 'GET', `/messages/${group.uuid}/chat_room_messages/${extra.id}`), 404, MESSAGE_NOT_FOUND, 'gone');
    });

    it('chatRoomUpdated: a rename goes to the room stream and to every participant\'s chat-room stream', async () => {
      const r = await call(server, ann, 'PATCH', `/messages/${group.uuid}`, { chat_room: { name: 'Planning 2' } });
      assert.equal(r.status, 200, r.body);
      const views = { room: group, name: 'Planning 2', pids: groupPids };
      // ann has read nothing: bob's message is unread (her own are not counted).
      expectRoom(unwrapRoom(r.json(), 'PATCH answer'), { ...views, viewer: ann, others: [bob, cat], unread: 1, lastMessage: () => {} }, 'PATCH answer');
      const ev = await got();
      const G = streams.room(group.id);
      assertStreams(ev.annA, [[G, 'chatRoomUpdated'], [R(ann), 'chatRoomUpdated']], 'ann A');
      assertStreams(ev.annB, [[R(ann), 'chatRoomUpdated']], 'ann B');
      assertStreams(ev.bob, [[G, 'chatRoomUpdated'], [R(bob), 'chatRoomUpdated']], 'bob');
      assertStreams(ev.cat, [[G, 'chatRoomUpdated'], [R(cat), 'chatRoomUpdated']], 'cat');
      assertStreams(ev.dan, [], 'dan');
      for (const e of [...ev.annA, ...ev.annB, ...ev.bob, ...ev.cat]) expectSimpleRoom(e.data, { room: group, name: 'Planning 2' }, e.stream);
    });

    it('chatRoomUpdated: description, show_history and pinned_message_id go to the room stream only', async () => {
      const G = streams.room(group.id);
      let r = await call(server, ann, 'PATCH', `/messages/${group.uuid}`, { description: 'About <plans>', show_history: false });
      assert.equal(r.status, 200, r.body);
      assert.equal(unwrapRoom(r.json(), 'PATCH answer').chat_room_description, 'About <plans>');
      assert.equal(r.json().chat_room.chat_room_show_history, false);
      let ev = await got();
      for (const k of ['annA', 'bob', 'cat']) assertStreams(ev[k], [[G, 'chatRoomUpdated']], k);
      for (const k of ['annB', 'dan']) assertStreams(ev[k], [], k);
      expectSimpleRoom(ev.bob[0].data, { room: group, name: 'Planning 2', description: 'About <plans>', showHistory: false }, 'description');

      // Any participant may pin a message of the room; the event carries the JSONMessage.
      r = await call(server, cat, 'PATCH', `/messages/${group.uuid}`, { chat_room: { pinned_message_id: msg.id } });
      assert.equal(r.status, 200, r.body);
      ev = await got();
      for (const k of ['annA', 'bob', 'cat']) assertStreams(ev[k], [[G, 'chatRoomUpdated']], k);
      for (const k of ['annB', 'dan']) assertStreams(ev[k], [], k);
      expectSimpleRoom(ev.annA[0].data, {
        room: group, name: 'Planning 2', description: 'About <plans>', showHistory: false,
        pinned: (p) => expectMessage(p, msg, 'pinned_message'),
      }, 'pinned');

      // Nothing changed: 200, no event.
      r = await call(server, ann, 'PATCH', `/messages/${group.uuid}`, { description: 'About <plans>', pinned_message_id: msg.id });
      assert.equal(r.status, 200, r.body);
      ev = await got();
      for (const k of Object.keys(ev)) assertStreams(ev[k], [], `${k} after a PATCH that changes nothing`);
      // Unpin the message and restore the defaults.
      r = await call(server, ann, 'PATCH', `/messages/${group.uuid}`, { pinned_message_id: null, show_history: true, description: null });
      assert.equal(r.status, 200, r.body);
      ev = await got();
      expectSimpleRoom(ev.cat[0].data, { room: group, name: 'Planning 2' }, 'restored');
    });

    it('chatRoomPinned + chatRoomUpdated, then chatRoomUnPinned: only to the member who pins, on every device', async () => {
      let r = await call(server, ann, 'POST', `/messages/${group.uuid}/pin`);
      assert.equal(r.status, 200, r.body);
      const pinnedAt = unwrapRoom(r.json(), 'pin answer').current_participant.pinned_at;
      assert.match(String(pinnedAt), ISO_MS_RE);
      let ev = await got();
      for (const k of ['annA', 'annB']) {
        assertStreams(ev[k], [[R(ann), 'chatRoomPinned'], [R(ann), 'chatRoomUpdated']], k);
        assert.deepEqual(ev[k][0].data, { chat_room_id: group.id, pinned_at: pinnedAt });
        expectSimpleRoom(ev[k][1].data, { room: group, name: 'Planning 2' }, `${k} chatRoomUpdated`);
      }
      for (const k of ['bob', 'cat', 'dan']) assertStreams(ev[k], [], k);
      // The pinned room comes first in ann's list.
      const list = await ok(server, ann, 'GET', '/messages');
      assert.equal(list.records[0].uuid, group.uuid);
      assert.equal(list.records[0].current_participant.pinned_at, pinnedAt);

      r = await call(server, ann, 'DELETE', `/messages/${group.uuid}/pin`);
      assert.equal(r.status, 200, r.body);
      assert.equal(unwrapRoom(r.json(), 'unpin answer').current_participant.pinned_at, null);
      ev = await got();
      for (const k of ['annA', 'annB']) {
        assertStreams(ev[k], [[R(ann), 'chatRoomUnPinned']], k);
        assert.deepEqual(ev[k][0].data, { chat_room_id: group.id });
      }
      for (const k of ['bob', 'cat', 'dan']) assertStreams(ev[k], [], k);
    });

    it('chatRoomRead: every device of the reader, nobody else', async () => {
      const r = await call(server, ann, 'POST', `/messages/${group.uuid}/mark_all_as_read`);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json(), {});
      const ev = await got();
      for (const k of ['annA', 'annB']) {
        assertStreams(ev[k], [[R(ann), 'chatRoomRead']], k);
        assert.deepEqual(ev[k][0].data, { chat_room_uuid: group.uuid });
      }
      for (const k of ['bob', 'cat', 'dan']) assertStreams(ev[k], [], k);
    });

    it('embedded room (space): messages, edits and deletes reach only the room stream', async () => {
      const r = await api(server, 'POST', '/api/admin/v2/chat_rooms', { kind: 'space', name: 'Garden', community_member_ids: [ann.id, cat.id] });
      assert.equal(r.status, 201, r.body);
      const garden = unwrapRoom(r.json(), 'admin space');
      const space = { id: garden.id, uuid: garden.uuid, kind: 'space' };
      const pids = await participantIds(server, cat, space);
      await catS.joinRoom(space);
      await annA.joinRoom(space, true);
      assert.equal(await bobS.tryRoom({ chat_room_id: space.id }, space.id), 'reject');
      const S = streams.room(space.id);
      let ev = await got();

      const sent = await send(server, cat, space, { body: 'in the garden' });
      ev = await got();
      assertStreams(ev.cat, [[S, 'newMessage']], 'cat');
      assertStreams(ev.annA, [[S, 'newMessage']], 'ann A');
      for (const k of ['annB', 'bob', 'dan']) assertStreams(ev[k], [], k);
      expectMessage(ev.cat[0].data, { id: sent.id, room: space, sender: cat, pid: pids.get(cat.id), body: 'in the garden', sentAt: sent.sent_at }, 'space message');

      assert.equal((await call(server, cat, 'PUT', `/messages/${space.uuid}/chat_room_messages/${sent.id}`, { body: 'x' })).status, 200);
      ev = await got();
      assertStreams(ev.cat, [[S, 'updatedMessage']], 'cat');
      assertStreams(ev.annA, [[S, 'updatedMessage']], 'ann A');
      for (const k of ['annB', 'bob', 'dan']) assertStreams(ev[k], [], k);

      // An embedded room is the host application's: no member renames it, the host does, and the
      // rename goes to the room stream only.
      for (const m of [ann, cat]) {
        assertError(await call(server, m, 'PATCH', `/messages/${space.uuid}`, { name: 'Mine' }), 403,
          errorBody('You are not allowed to do this'), `member ${m.id} renames the space`);
      }
      const rn = await api(server, 'PATCH', `/api/admin/v2/chat_rooms/${space.uuid}`, { chat_room: { name: 'Garden 2' } });
      assert.equal(rn.status, 200, rn.body);
      assert.equal(unwrapRoom(rn.json(), 'host rename').chat_room_name, 'Garden 2');
      ev = await got();
      assertStreams(ev.cat, [[S, 'chatRoomUpdated']], 'cat');
      assertStreams(ev.annA, [[S, 'chatRoomUpdated']], 'ann A');
      for (const k of ['annB', 'bob', 'dan']) assertStreams(ev[k], [], k);
      expectSimpleRoom(ev.cat[0].data, { room: space, name: 'Garden 2' }, 'space rename');

      assert.equal((await call(server, cat, 'DELETE', `/messages/${space.uuid}/chat_room_messages/${sent.id}`)).status, 200);
      ev = await got();
      assertStreams(ev.cat, [[S, 'deletedMessage']], 'cat');
      assertStreams(ev.annA, [[S, 'deletedMessage']], 'ann A');
      assert.deepEqual(ev.cat[0].data, { id: sent.id, parent_message: null, chat_thread_id: null, deleted_reply_ids: [] });
      for (const k of ['annB', 'bob', 'dan']) assertStreams(ev[k], [], k);
    });

    it('chatRoomDeleted: every participant; the room stream goes silent for existing subscriptions at once', async () => {
      const nonCreator = await call(server, bob, 'DELETE', `/messages/${group.uuid}`);
      assertError(nonCreator, 403, errorBody('only the creator of a group room can delete it'), 'non-creator delete');
      let ev = await got();
      for (const k of Object.keys(ev)) assertStreams(ev[k], [], `${k} after a refused delete`);

      const r = await call(server, ann, 'DELETE', `/messages/${group.uuid}`);
      assert.equal(r.status, 204, r.body);
      assert.equal(r.body, '');
      // A broadcast to the room's stream, published after the delete, reaches nobody: the
      // subscriptions stay but are not fenced any more, and anything on them would show up.
      for (const s of all) s.silence(streams.room(group.id));
      ev = await got([{ stream: streams.room(group.id), data: { after: 'delete' } }]);
      for (const [k, m] of [['annA', ann], ['annB', ann], ['bob', bob], ['cat', cat]]) {
        assertStreams(ev[k], [[R(m), 'chatRoomDeleted']], k);
        assert.deepEqual(ev[k][0].data, { chat_room_uuid: group.uuid });
      }
      assertStreams(ev.dan, [], 'dan');
      for (const m of [ann, bob, cat]) {
        assertError(await call(server, m, 'GET', `/messages/${group.uuid}`), 404, ROOM_NOT_FOUND, `member ${m.id} GET`);
        const list = await ok(server, m, 'GET', '/messages?per_page=100');
        assert.ok(!list.records.some((x) => x.uuid === group.uuid), 'not listed');
      }
      assertError(await call(server, bob, 'POST', `/messages/${group.uuid}/chat_room_messages`, { body: 'late' }), 404, ROOM_NOT_FOUND, 'send');
      // A new subscription is refused.
      assert.equal(await bobS.tryRoom({ chat_room_id: group.id }, group.id), 'reject');
    });
  });

  describe('Member API errors', () => {
    let ann, bob, eve;
    let room, direct, foreign, annMsg, eveMsg, reply, other;
    let sockets3;

    before(async () => {
      ann = await chatMember(server, 'Err Ann');
      bob = await chatMember(server, 'Err Bob');
      eve = await chatMember(server, 'Err Eve');
      room = await okRoom(server, ann, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: [bob.id], name: 'E' } }, 200);
      direct = await okRoom(server, ann, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [bob.id] } }, 200);
      foreign = await okRoom(server, eve, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: [], name: 'Eve alone' } }, 200);
      annMsg = await send(server, ann, room, { body: 'mine' });
      eveMsg = await send(server, eve, foreign, { body: 'eve only' });
      reply = await send(server, bob, room, { body: 'a reply', parent_message_id: annMsg.id });
      other = await send(server, ann, direct, { body: 'in direct' });
      sockets3 = [await open(ann), await open(bob), await open(eve)];
      await sockets3[0].joinRoom(room);
      await sockets3[1].joinRoom(room);
      await sockets3[2].joinRoom(foreign);
      await settle(server, sockets3);
    });

    after(async () => {
      // None of the refused calls produced an event anywhere.
      const ev = await settle(server, sockets3);
      for (const e of ev) assertStreams(e, [], 'no event from a refused call');
    });

    it('room creation: malformed JSON, no body, non-object, missing or unknown kind, bad member ids', async () => {
      const post = (body, opts) => call(server, ann, 'POST', '/messages', body, opts);
      assertError(await post('{"chat_room":'), 400, errorBody('Request body is not valid JSON'), 'malformed');
      assertError(await post(undefined), 400, errorBody('Request body is required'), 'no body');
      assertError(await post('[1]'), 400, errorBody('Request body must be a JSON object'), 'array');
      assertError(await post({ chat_room: { community_member_ids: [bob.id] } }), 400, fieldError('kind', 'is required'), 'no kind');
      for (const kind of ['channel', 'space', 'lesson', 'event', '']) {
        assertError(await post({ chat_room: { kind, community_member_ids: [bob.id] } }), 400, fieldError('kind'), `kind ${kind}`);
      }
      const bad = (ids, what, kind = 'group_chat') => post({ chat_room: { kind, community_member_ids: ids } })
        .then((r) => assertError(r, 400, fieldError('community_member_ids'), what));
      await bad([bob.id, eve.id], 'direct with two others', 'direct');
      await bad([], 'direct with nobody', 'direct');
      await bad([ann.id], 'direct with oneself', 'direct');
      await bad([bob.id, 999999], 'an unknown member');
      await bad([999999], 'an unknown member (direct)', 'direct');
      await bad([0], 'id 0');
      await bad([-3], 'a negative id');
      await bad(['abc'], 'not a number');
      await bad([{}], 'an object');
      await post({ chat_room: { kind: 'group_chat', community_member_ids: 'x' } })
        .then((r) => assertError(r, 400, fieldError('community_member_ids'), 'not an array'));
      await post({ chat_room: { kind: 'group_chat', community_member_ids: [bob.id], name: 7 } })
        .then((r) => assertError(r, 400, fieldError('name'), 'name not a string'));
      await post({ chat_room: { kind: 'group_chat', community_member_ids: [bob.id], name: 'n'.repeat(256) } })
        .then((r) => assertError(r, 400, fieldError('name'), 'name too long'));
      // Nothing was created.
      const list = await ok(server, bob, 'GET', '/messages?per_page=100');
      assert.equal(list.count, 2);
    });

    it('unknown and foreign rooms are 404 "Chat room not found" on every route, and their streams are refused', async () => {
      const routes = (u) => [
        ['GET', `/messages/${u}`], ['PATCH', `/messages/${u}`, { name: 'x' }], ['PUT', `/messages/${u}`, { name: 'x' }],
        ['DELETE', `/messages/${u}`], ['POST', `/messages/${u}/mark_all_as_read`], ['POST', `/messages/${u}/pin`],
        ['DELETE', `/messages/${u}/pin`], ['GET', `/messages/${u}/chat_room_participants`],
        ['GET', `/messages/${u}/chat_room_messages`], ['POST', `/messages/${u}/chat_room_messages`, { body: 'x' }],
      ];
      for (const u of [foreign.uuid, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', 'x'.repeat(60)]) {
        for (const [method, p, body] of routes(u)) {
          assertError(await call(server, ann, method, p, body), 404, ROOM_NOT_FOUND, `${method} ${p}`);
        }
      }
      const annSock = sockets3[0];
      assert.equal(await annSock.tryRoom({ chat_room_id: foreign.id }, foreign.id), 'reject');
      assert.equal(await annSock.tryRoom({ chat_room_uuid: foreign.uuid }, foreign.id), 'reject');
      assert.equal(await annSock.tryRoom({ chat_room_id: 999999 }, 999999), 'reject');
      assert.equal(await annSock.tryRoom({ chat_room_uuid: '00000000-0000-4000-8000-000000000000' }, 0), 'reject');
      // Not in ann's lists either.
      const list = await ok(server, ann, 'GET', '/messages?per_page=100');
      assert.ok(!list.records.some((x) => x.uuid === foreign.uuid));
    });

    it('message routes of a foreign room are 404 "Chat room not found"; an unknown or foreign id in her room "Chat room message not found"', async () => {
      for (const [method, body] of [['GET'], ['PUT', { body: 'x' }], ['DELETE']]) {
        assertError(await call(server, ann, method, `/messages/${room.uuid}/chat_room_messages/${eveMsg.id}`, body), 404,
          MESSAGE_NOT_FOUND, `${method} another room's message id`);
        assertError(await call(server, ann, method, `/messages/${room.uuid}/chat_room_messages/999999`, body), 404,
          MESSAGE_NOT_FOUND, `${method} unknown message id`);
      }
      assertError(await call(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages?id=${eveMsg.id}`), 404,
        MESSAGE_NOT_FOUND, 'window around a foreign message');
      // Through the foreign room itself: the room does not exist for ann.
      for (const [method, body] of [['GET'], ['PUT', { body: 'x' }], ['DELETE']]) {
        assertError(await call(server, ann, method, `/messages/${foreign.uuid}/chat_room_messages/${eveMsg.id}`, body), 404,
          ROOM_NOT_FOUND, `${method} a message through a foreign room`);
      }
      assertError(await call(server, ann, 'GET', `/messages/${foreign.uuid}/chat_room_messages?id=${eveMsg.id}`), 404,
        ROOM_NOT_FOUND, 'window of a foreign room');
    });

    it("another member's message: 403 to edit or delete, and it stays as it was", async () => {
      const before = await ok(server, bob, 'GET', `/messages/${room.uuid}/chat_room_messages/${annMsg.id}`);
      for (const method of ['PUT', 'PATCH']) {
        assertError(await call(server, bob, method, `/messages/${room.uuid}/chat_room_messages/${annMsg.id}`, { body: 'hijack' }),
          403, errorBody('Only the sender can edit a message'), `${method} by another member`);
      }
      assertError(await call(server, bob, 'DELETE', `/messages/${room.uuid}/chat_room_messages/${annMsg.id}`), 403,
        errorBody('Only the sender can delete a message'), 'DELETE by another member');
      assert.deepEqual(await ok(server, bob, 'GET', `/messages/${room.uuid}/chat_room_messages/${annMsg.id}`), before);
    });

    it('message bodies: empty, missing, not text, bad rich text, bad parent, bad creation_uuid are 400', async () => {
      const p = `/messages/${room.uuid}/chat_room_messages`;
      const cases = [
        [{}, 'rich_text_body'], [{ body: '' }, 'body'], [{ body: 5 }, 'body'], [{ body: null }, 'rich_text_body'],
        [{ rich_text_body: { type: 'paragraph' } }, 'rich_text_body'], [{ rich_text_body: 'not json' }, 'rich_text_body'],
        [{ rich_text_body: 7 }, 'rich_text_body'],
        [{ body: 'x', parent_message_id: 999999 }, 'parent_message_id'], [{ body: 'x', parent_message_id: 'abc' }, 'parent_message_id'],
        [{ body: 'x', parent_message_id: -1 }, 'parent_message_id'],
        [{ body: 'x', creation_uuid: 12 }, 'creation_uuid'], [{ body: 'x', creation_uuid: 'u'.repeat(65) }, 'creation_uuid'],
        [{ body: 'b'.repeat(65537) }, 'body'],
      ];
      for (const [body, field] of cases) assertFieldError(await call(server, ann, 'POST', p, body), field, JSON.stringify(body).slice(0, 80));
      // A reply to a reply, and a parent in another room.
      assertFieldError(await call(server, ann, 'POST', p, { body: 'x', parent_message_id: reply.id }), 'parent_message_id', 'nested reply');
      assertFieldError(await call(server, ann, 'POST', p, { body: 'x', parent_message_id: other.id }), 'parent_message_id', 'parent in another room');
      assertFieldError(await call(server, ann, 'PUT', `${p}/${annMsg.id}`, { body: '' }), 'body', 'edit to empty');
      assertError(await call(server, ann, 'PUT', `${p}/${annMsg.id}`, '{'), 400, errorBody('Request body is not valid JSON'), 'edit malformed');
      assertError(await call(server, ann, 'POST', p, 'nope'), 400, errorBody('Request body is not valid JSON'), 'send malformed');
      assertError(await call(server, ann, 'POST', p, undefined), 400, errorBody('Request body is required'), 'send without a body');
      // Ids that are not positive integers in the path are unknown.
      for (const id of ['0', 'abc', '-1', '1x']) {
        assertError(await call(server, ann, 'GET', `${p}/${id}`), 404, errorBody('Not found'), `message id ${id}`);
      }
    });

    it('room changes: non-creator 403, direct 422, bad fields 400; delete only a group by its creator', async () => {
      const u = `/messages/${room.uuid}`;
      for (const body of [{ name: 'mine now' }, { description: 'd' }, { show_history: false }, { chat_room: { name: 'x' } }]) {
        assertError(await call(server, bob, 'PATCH', u, body), 403, errorBody('You are not allowed to do this'), `bob PATCH ${JSON.stringify(body)}`);
      }
      for (const body of [{ name: 'Pair' }, { chat_room: { description: 'd' } }, { show_history: false }]) {
        for (const m of [ann, bob]) {
          assertError(await call(server, m, 'PATCH', `/messages/${direct.uuid}`, body), 422,
            errorBody('direct rooms cannot be renamed'), `direct PATCH ${JSON.stringify(body)} by ${m.id}`);
        }
      }
      for (const [body, field] of [[{ name: 5 }, 'name'], [{ show_history: 'yes' }, 'show_history'], [{ pinned_message_id: 999999 }, 'pinned_message_id'],
        [{ pinned_message_id: 'x' }, 'pinned_message_id'], [{ description: 'd'.repeat(2001) }, 'description']]) {
        assertError(await call(server, ann, 'PATCH', u, body), 400, fieldError(field), `PATCH ${JSON.stringify(body).slice(0, 60)}`);
      }
      assertError(await call(server, ann, 'PATCH', u, '{x'), 400, errorBody('Request body is not valid JSON'), 'malformed PATCH');
      const forbidden = errorBody('only the creator of a group room can delete it');
      assertError(await call(server, bob, 'DELETE', u), 403, forbidden, 'bob deletes ann\'s group');
      assertError(await call(server, ann, 'DELETE', `/messages/${direct.uuid}`), 403, forbidden, 'a direct room');
      assertError(await call(server, bob, 'DELETE', `/messages/${direct.uuid}`), 403, forbidden, 'a direct room (other member)');
      const show = await okRoom(server, bob, 'GET', u);
      assert.equal(show.chat_room_name, 'E');
    });

    it('paging: bad page, per_page and window parameters are 400', async () => {
      for (const q of ['page=0', 'page=-1', 'page=abc', 'page=', 'per_page=0', 'per_page=101', 'per_page=1.5', 'page=1e3']) {
        assertError(await call(server, ann, 'GET', `/messages?${q}`), 400, PAGING, q);
        assertError(await call(server, ann, 'GET', `/messages/${room.uuid}/chat_room_participants?${q}`), 400, PAGING, `participants ${q}`);
        assertError(await call(server, ann, 'GET', `/chat_threads?${q}`), 400, PAGING, `threads ${q}`);
      }
      for (const q of ['previous_per_page=-1', 'next_per_page=101', 'id=abc', 'id=-5', 'previous_per_page=x']) {
        assertError(await call(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages?${q}`), 400, PAGING, q);
      }
      // In range: the envelope.
      const page = await ok(server, ann, 'GET', '/messages?page=1&per_page=1');
      assert.deepEqual(Object.keys(page), ['page', 'per_page', 'has_next_page', 'count', 'page_count', 'records']);
      assert.deepEqual({ ...page, records: page.records.length }, { page: 1, per_page: 1, has_next_page: true, count: 2, page_count: 2, records: 1 });
      const last = await ok(server, ann, 'GET', '/messages?page=2&per_page=1');
      assert.deepEqual({ ...last, records: last.records.length }, { page: 2, per_page: 1, has_next_page: false, count: 2, page_count: 2, records: 1 });
      assert.notEqual(last.records[0].uuid, page.records[0].uuid);
      const beyond = await ok(server, ann, 'GET', '/messages?page=9&per_page=100');
      assert.deepEqual(beyond, { page: 9, per_page: 100, has_next_page: false, count: 2, page_count: 1, records: [] });
    });

    it('admin room creation: app token only, kinds and member ids checked, an existing direct pair answers 200', async () => {
      const path = '/api/admin/v2/chat_rooms';
      for (const token of [null, 'wrong', ann.token]) {
        assertError(await api(server, 'POST', path, { kind: 'space', name: 'S', community_member_ids: [ann.id] }, { token }), 401,
          UNAUTHORIZED, `admin route with ${token === null ? 'no token' : token.slice(0, 8)}`);
      }
      assertError(await api(server, 'POST', path, { kind: 'forum', name: 'S', community_member_ids: [ann.id] }), 400, fieldError('kind'), 'unknown kind');
      assertError(await api(server, 'POST', path, { name: 'S', community_member_ids: [ann.id] }), 400, fieldError('kind', 'is required'), 'no kind');
      assertError(await api(server, 'POST', path, { kind: 'direct', community_member_ids: [ann.id, bob.id, eve.id] }), 400,
        fieldError('community_member_ids'), 'direct of three');
      assertError(await api(server, 'POST', path, { kind: 'group_chat', community_member_ids: [] }), 400,
        fieldError('community_member_ids'), 'nobody');
      assertError(await api(server, 'POST', path, { kind: 'event', community_member_ids: [999999] }), 400,
        fieldError('community_member_ids'), 'unknown member');
      assertError(await api(server, 'POST', path, '{'), 400, errorBody('Request body is not valid JSON'), 'malformed');
      const r = await api(server, 'POST', path, { kind: 'direct', community_member_ids: [bob.id, ann.id] });
      assert.equal(r.status, 200, r.body);
      assert.equal(unwrapRoom(r.json(), 'existing direct pair').uuid, direct.uuid);
    });

    it('wrong methods are 405, unknown chat paths 404', async () => {
      for (const [method, p] of [['DELETE', '/messages'], ['PUT', `/messages/${room.uuid}/mark_all_as_read`],
        ['PATCH', `/messages/${room.uuid}/pin`], ['POST', '/chat_threads'],
        ['DELETE', `/chat_threads/${annMsg.id}`], ['POST', `/messages/${room.uuid}/chat_room_participants`]]) {
        assertError(await call(server, ann, method, p), 405, errorBody('Method not allowed'), `${method} ${p}`);
      }
      for (const p of ['/message', `/messages/${room.uuid}/nothing`, `/chat_threads/${annMsg.id}/x`, '/messages/a/b/c/d']) {
        const r = await call(server, ann, 'GET', p);
        assert.equal(r.status, 404, `GET ${p}: ${r.body}`);
      }
    });

    it('tokens: none, malformed, wrongly signed, expired, the app token or another scheme are 401', async () => {
      const paths = [['GET', '/messages'], ['POST', '/messages', { kind: 'group_chat', community_member_ids: [bob.id] }],
        ['GET', `/messages/${room.uuid}`], ['POST', `/messages/${room.uuid}/chat_room_messages`, { body: 'x' }],
        ['GET', '/messages/unread_chat_rooms'], ['GET', '/chat_threads'], ['GET', '/chat_threads/unread_chat_threads']];
      const tokens = [
        [null, TOKEN_INVALID], ['garbage', TOKEN_INVALID], [server.appToken, TOKEN_INVALID],
        [server.token(ann.id, { secret: 'another-secret-0123456789abcdef' }), TOKEN_INVALID],
        [server.token(ann.id, { community: 2 }), TOKEN_INVALID],
        [server.token(ann.id, { ttl: -30 }), TOKEN_EXPIRED],
      ];
      for (const [method, p, body] of paths) {
        for (const [token, expected] of tokens) {
          const r = await api(server, method, `/api/headless/v1${p}`, body, { token });
          assertError(r, 401, expected, `${method} ${p} with ${token === null ? 'no token' : token.slice(0, 12)}`);
        }
        const basic = await api(server, method, `/api/headless/v1${p}`, body, { token: null, headers: { Authorization: `Basic ${ann.token}` } });
        assertError(basic, 401, TOKEN_INVALID, `${method} ${p} Basic`);
      }
      // A token minted with the server's secret works like one from auth_token.
      const minted = { ...ann, token: server.token(ann.id) };
      assert.equal((await ok(server, minted, 'GET', '/messages')).count, 2);
    });
  });

  describe('counts after sequences of actions', () => {
    let ann, bob, cat;
    let room, pids;
    const unreadOf = async (m, r = room) => (await okRoom(server, m, 'GET', `/messages/${r.uuid}`)).unread_messages_count;
    const unreadRooms = async (m) => (await ok(server, m, 'GET', '/messages/unread_chat_rooms')).chat_rooms;
    async function counts() {
      return {
        ann: await unreadOf(ann), bob: await unreadOf(bob), cat: await unreadOf(cat),
        annRooms: await unreadRooms(ann), bobRooms: await unreadRooms(bob), catRooms: await unreadRooms(cat),
      };
    }
    const ids = [];

    before(async () => {
      ann = await chatMember(server, 'Count Ann');
      bob = await chatMember(server, 'Count Bob');
      cat = await chatMember(server, 'Count Cat');
      const r = await okRoom(server, ann, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: [bob.id, cat.id], name: 'Counts' } }, 200);
      room = { id: r.id, uuid: r.uuid, kind: 'group_chat' };
      pids = await participantIds(server, ann, room);
    });

    it('a new room: nothing unread', async () => {
      assert.deepEqual(await counts(), { ann: 0, bob: 0, cat: 0, annRooms: [], bobRooms: [], catRooms: [] });
    });

    it("sends: others' top-level messages count, one's own do not", async () => {
      for (const body of ['b1', 'b2', 'b3']) ids.push((await send(server, bob, room, { body })).id);
      assert.deepEqual(await counts(), { ann: 3, bob: 0, cat: 3, annRooms: [room.uuid], bobRooms: [], catRooms: [room.uuid] });
      ids.push((await send(server, ann, room, { body: 'a1' })).id);
      assert.deepEqual(await counts(), { ann: 3, bob: 1, cat: 4, annRooms: [room.uuid], bobRooms: [room.uuid], catRooms: [room.uuid] });
    });

    it('replies do not count as room unread, and do not become last_message', async () => {
      await send(server, cat, room, { body: 'r1', parent_message_id: ids[0] });
      await send(server, bob, room, { body: 'r2', parent_message_id: ids[3] });
      assert.deepEqual(await counts(), { ann: 3, bob: 1, cat: 4, annRooms: [room.uuid], bobRooms: [room.uuid], catRooms: [room.uuid] });
      const show = await okRoom(server, cat, 'GET', `/messages/${room.uuid}`);
      assert.equal(show.last_message.id, ids[3]);
      assert.equal(show.last_message.body, 'a1');
    });

    it('mark_all_as_read: zero for the reader only; last_read_message_id is the last top-level message', async () => {
      await ok(server, ann, 'POST', `/messages/${room.uuid}/mark_all_as_read`);
      assert.deepEqual(await counts(), { ann: 0, bob: 1, cat: 4, annRooms: [], bobRooms: [room.uuid], catRooms: [room.uuid] });
      const show = await okRoom(server, ann, 'GET', `/messages/${room.uuid}`);
      expectRoom(show, {
        room, name: 'Counts', viewer: ann, pids, others: [bob, cat], lastRead: ids[3], unread: 0,
        lastMessage: (m) => expectMessage(m, { id: ids[3], room, sender: ann, pid: pids.get(ann.id), body: 'a1', thread: ids[3], replies: 1, writers: [ann, bob] }, 'last_message'),
      }, 'ann after reading');
      // Reading twice changes nothing.
      await ok(server, ann, 'POST', `/messages/${room.uuid}/mark_all_as_read`);
      assert.equal(await unreadOf(ann), 0);
    });

    it('edits change no count; deletes of unread messages lower it', async () => {
      await ok(server, bob, 'PUT', `/messages/${room.uuid}/chat_room_messages/${ids[1]}`, { body: 'b2 edited' });
      assert.deepEqual(await counts(), { ann: 0, bob: 1, cat: 4, annRooms: [], bobRooms: [room.uuid], catRooms: [room.uuid] });
      await ok(server, bob, 'DELETE', `/messages/${room.uuid}/chat_room_messages/${ids[1]}`, undefined, 200);
      assert.deepEqual(await counts(), { ann: 0, bob: 1, cat: 3, annRooms: [], bobRooms: [room.uuid], catRooms: [room.uuid] });
      // Deleting the one message bob had not read clears his room.
      await ok(server, ann, 'DELETE', `/messages/${room.uuid}/chat_room_messages/${ids[3]}`, undefined, 200);
      assert.deepEqual(await counts(), { ann: 0, bob: 0, cat: 2, annRooms: [], bobRooms: [], catRooms: [room.uuid] });
      // last_message falls back to the newest remaining top-level message.
      const show = await okRoom(server, cat, 'GET', `/messages/${room.uuid}`);
      assert.equal(show.last_message.id, ids[2]);
    });

    it('a message after a read counts again, in the list and in unread_chat_rooms', async () => {
      const id = (await send(server, cat, room, { body: 'c1' })).id;
      assert.deepEqual(await counts(), { ann: 1, bob: 1, cat: 2, annRooms: [room.uuid], bobRooms: [room.uuid], catRooms: [room.uuid] });
      const list = await ok(server, ann, 'GET', '/messages');
      const rec = list.records.find((x) => x.uuid === room.uuid);
      assert.equal(rec.unread_messages_count, 1);
      assert.equal(rec.last_message.id, id);
      assert.equal(list.records[0].uuid, room.uuid, 'the room with the newest message comes first');
      await ok(server, cat, 'POST', `/messages/${room.uuid}/mark_all_as_read`);
      await ok(server, bob, 'POST', `/messages/${room.uuid}/mark_all_as_read`);
      assert.deepEqual(await counts(), { ann: 1, bob: 0, cat: 0, annRooms: [room.uuid], bobRooms: [], catRooms: [] });
    });

    it('unread_chat_rooms lists every room with something unread, and only those', async () => {
      const d = await okRoom(server, bob, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [ann.id] } }, 200);
      await send(server, bob, d, { body: 'psst' });
      const annRooms = await unreadRooms(ann);
      assert.deepEqual([...annRooms].sort(), [room.uuid, d.uuid].sort());
      assert.deepEqual(await unreadRooms(bob), []);
      assert.equal(await unreadOf(ann, d), 1);
    });

    it('a room of five: previews of three, named after those three when it has no name', async () => {
      const more = [await chatMember(server, 'Count Dee'), await chatMember(server, 'Count Eli')];
      const big = await okRoom(server, ann, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: [bob.id, cat.id, ...more.map((m) => m.id)] } }, 200);
      const bigRoom = { id: big.id, uuid: big.uuid, kind: 'group_chat' };
      const bp = await participantIds(server, ann, bigRoom);
      assert.equal(bp.size, 5);
      const others = [bob, cat, ...more];
      expectRoom(big, { room: bigRoom, viewer: ann, pids: bp, others, name: others.slice(0, 3).map((m) => m.name).join(', ') }, 'five, unnamed');
      const seen = await okRoom(server, more[1], 'GET', `/messages/${big.uuid}`);
      const theirs = [ann, bob, cat, more[0]];
      expectRoom(seen, { room: bigRoom, viewer: more[1], pids: bp, others: theirs, name: theirs.slice(0, 3).map((m) => m.name).join(', ') }, 'as Eli sees it');
      await ok(server, ann, 'DELETE', `/messages/${big.uuid}`, undefined, 204);
    });

    it('participants: paginated, each with its participant id', async () => {
      const p1 = await ok(server, cat, 'GET', `/messages/${room.uuid}/chat_room_participants?per_page=2`);
      const p2 = await ok(server, cat, 'GET', `/messages/${room.uuid}/chat_room_participants?per_page=2&page=2`);
      assert.deepEqual({ ...p1, records: p1.records.length }, { page: 1, per_page: 2, has_next_page: true, count: 3, page_count: 2, records: 2 });
      assert.deepEqual({ ...p2, records: p2.records.length }, { page: 2, per_page: 2, has_next_page: false, count: 3, page_count: 2, records: 1 });
      const byMember = (a, b) => a.community_member_id - b.community_member_id;
      const all = [...p1.records, ...p2.records].sort(byMember);
      assert.deepEqual(all.map((p) => ({ id: p.id, name: p.name, avatar_url: p.avatar_url, community_member_id: p.community_member_id })),
        [ann, bob, cat].map((m) => ({ id: pids.get(m.id), name: m.name, avatar_url: null, community_member_id: m.id })).sort(byMember));
      // Circle's participant fields: mute and archive, the member's sgid, its public uid.
      for (const [p, m] of all.map((p) => [p, [ann, bob, cat].find((x) => x.id === p.community_member_id)])) {
        assert.deepEqual([p.muted, p.archived, p.user_id, p.sgid], [false, false, m.id, await sgidOf(server, m)], `participant ${m.id}`);
        assert.match(p.user_public_uid, /^[0-9a-f]{8}$/);
      }
    });

    it('the message window: ascending, around an id, with has_previous_page / has_next_page', async () => {
      const w = await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages`);
      const top = w.records.map((m) => m.id);
      assert.deepEqual(top, [...top].sort((x, y) => x - y), 'ascending');
      assert.equal(top.length, 3, `three top-level messages remain: ${top}`);
      assert.ok(w.records.every((m) => m.parent_message_id === null), 'no replies in the room window');
      assert.equal(w.has_next_page, false);
      assert.equal(w.has_previous_page, false, 'all of them fit');
      let r = await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages?id=${top[2]}&previous_per_page=1&next_per_page=5`);
      assert.deepEqual(r.records.map((m) => m.id), [top[1], top[2]]);
      assert.equal(r.has_previous_page, true);
      assert.equal(r.has_next_page, false);
      r = await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages?previous_per_page=2`);
      assert.deepEqual(r.records.map((m) => m.id), [top[1], top[2]], 'the newest two');
      assert.equal(r.has_previous_page, true);
      r = await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages?id=${top[0]}&previous_per_page=0&next_per_page=0`);
      assert.deepEqual(r.records.map((m) => m.id), [top[0]]);
      // Nothing before the first message; the two newer ones lie beyond an empty next window.
      assert.equal(r.has_previous_page, false);
      assert.equal(r.has_next_page, true);
    });

    it('the message window: a full window with nothing beyond it has no previous or next page', async () => {
      const top = (await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages`)).records.map((m) => m.id);
      // Around the middle one of three: one before, one after, and nothing further either way.
      let r = await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages?id=${top[1]}&previous_per_page=1&next_per_page=1`);
      assert.deepEqual(r.records.map((m) => m.id), top);
      assert.deepEqual([r.has_previous_page, r.has_next_page], [false, false], 'nothing before the first or after the last message');
      r = await ok(server, ann, 'GET', `/messages/${room.uuid}/chat_room_messages?previous_per_page=3`);
      assert.deepEqual(r.records.map((m) => m.id), top);
      assert.equal(r.has_previous_page, false, 'the newest three are all three');
    });
  });
});

describe('persistence across a restart on the same --db', () => {
  let dir;
  const APP = 'chat-persist-app-token';
  const args = (db) => ['--db', db, '--app-token', APP, '--secret', SECRET, '--allowed-origin', ORIGIN, '--drain-ms', '0'];
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-chat-db-')); });
  after(async () => {
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rooms, unread counts, message windows, participants and threads are the same after a restart', async () => {
    const db = testDatabase(dir, 'chat.db');
    let server = await startServer({ bare: true, appToken: APP, args: args(db) });
    const members = [];
    for (const name of ['P Ann', 'P Bob', 'P Cat']) {
      const m = await createMember(server, { name });
      members.push({ id: m.id, name, token: server.token(m.id) });
    }
    const [ann, bob, cat] = members;
    const group = await okRoom(server, ann, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: [bob.id, cat.id], name: 'Kept' } }, 200);
    const direct = await okRoom(server, bob, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [cat.id] } }, 200);
    const space = unwrapRoom((await api(server, 'POST', '/api/admin/v2/chat_rooms', { kind: 'space', name: 'Kept space', community_member_ids: [ann.id, cat.id] })).json(), 'admin space');
    const top = [];
    for (let i = 0; i < 5; i++) top.push((await send(server, [ann, bob, cat][i % 3], group, { body: `g${i}`, creation_uuid: `cu-${i}` })).id);
    await send(server, bob, group, { body: 'reply 1', parent_message_id: top[0] });
    await send(server, cat, group, { body: 'reply 2', parent_message_id: top[0] });
    await send(server, cat, direct, { body: 'd1' });
    await send(server, ann, space, { body: 's1' });
    await ok(server, ann, 'PUT', `/messages/${group.uuid}/chat_room_messages/${top[3]}`, { body: 'g3 edited' });
    await ok(server, bob, 'DELETE', `/messages/${group.uuid}/chat_room_messages/${top[1]}`, undefined, 200);
    await ok(server, ann, 'PATCH', `/messages/${group.uuid}`, { description: 'kept', pinned_message_id: top[2] });
    await ok(server, bob, 'POST', `/messages/${group.uuid}/mark_all_as_read`);
    await ok(server, cat, 'POST', `/messages/${direct.uuid}/pin`);
    await ok(server, ann, 'POST', `/chat_threads/${top[0]}/mark_as_read`);

    async function snapshot(s) {
      const out = {};
      for (const m of members) {
        const k = `m${m.id}`;
        out[`${k} rooms`] = await ok(s, m, 'GET', '/messages?per_page=100');
        out[`${k} unread`] = await ok(s, m, 'GET', '/messages/unread_chat_rooms');
        out[`${k} threads`] = await ok(s, m, 'GET', '/chat_threads');
        out[`${k} unread threads`] = await ok(s, m, 'GET', '/chat_threads/unread_chat_threads');
        for (const r of out[`${k} rooms`].records) {
          out[`${k} ${r.uuid}`] = await ok(s, m, 'GET', `/messages/${r.uuid}`);
          out[`${k} ${r.uuid} window`] = await ok(s, m, 'GET', `/messages/${r.uuid}/chat_room_messages?previous_per_page=100`);
          out[`${k} ${r.uuid} participants`] = await ok(s, m, 'GET', `/messages/${r.uuid}/chat_room_participants`);
        }
      }
      out.thread = await ok(s, ann, 'GET', `/chat_threads/${top[0]}`);
      out.replies = await ok(s, ann, 'GET', `/messages/${group.uuid}/chat_room_messages?id=${top[0]}&previous_per_page=0&next_per_page=10`);
      return out;
    }
    const before = await snapshot(server);
    assert.equal(before[`m${ann.id} rooms`].count, 2);
    assert.equal(before[`m${cat.id} rooms`].count, 3);
    assert.equal(before.thread.replies_count, 2);
    await server.stop();

    server = await startServer({ bare: true, appToken: APP, args: args(db) });
    const afterRestart = await snapshot(server);
    assert.deepEqual(afterRestart, before);

    // Still the same rooms: the direct pair answers 200 with its room, ids go on, events flow.
    const again = await call(server, cat, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [bob.id] } });
    assert.equal(again.status, 200, again.body);
    assert.equal(unwrapRoom(again.json(), 'direct pair after restart').uuid, direct.uuid);
    const sock = await ChatSocket.open(server, bob, 'bob after restart');
    await sock.joinRoom({ id: group.id, uuid: group.uuid }, true);
    const next = await send(server, cat, group, { body: 'after restart' });
    assert.ok(next.id > Math.max(...top) + 2, `ids are not reused: ${next.id}`);
    const [ev] = await settle(server, [sock]);
    assertStreams(ev, [[streams.room(group.id), 'newMessage'], [streams.rooms(bob.id), 'newMessage']], 'bob after restart');
    assert.equal((await okRoom(server, bob, 'GET', `/messages/${group.uuid}`)).unread_messages_count, 1);
    sock.close();
  });
});
