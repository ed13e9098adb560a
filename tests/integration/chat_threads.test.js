// Threads on the real binary (SPEC 2.5, 3.2): replies to top-level messages.
// (1) Events: a reply's newMessage goes to the room stream and to the threads stream of every
// thread participant (the parent's author and everyone who replied, the new replier included),
// never to the members' chat-room streams, and notifies the parent's author (not the replier);
// updatedMessage and deletedMessage {id, parent_message} of a reply go to the room stream and the
// participants' threads streams (parent_message: the parent as it is after the delete);
// chatThreadRead goes to every device of the reader only; in an embedded room a reply reaches the
// room and threads streams only. Each step is checked after the fence of lib/chat.js settle().
// (2) Counts: replies_count, chat_thread_replies_count, total_thread_participants_count,
// thread_participants_preview and chat_thread_id of parents and replies after replies and reply
// deletes; each member's thread list, unread_messages_count and unread_chat_threads after
// replies and mark_as_read; the reply window around a reply; thread errors (404).

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { api } = require('./lib/http');
const {
  errorBody, streams, chatMember, call, ok, okRoom, unwrapRoom, assertError, ChatSocket, settle, assertStreams, expectMessage,
  participantIds, send,
} = require('./lib/chat');

const THREAD_NOT_FOUND = errorBody('Chat thread not found');

describe('chat threads', () => {
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

  describe('reply events on the exact streams', () => {
    let ann, bob, cat, dan, eve;
    let annA, annB, bobS, catS, danS, eveS, all;
    let room, pids, G;
    let parent; // ann's top-level message
    let r1, r2; // bob's and cat's replies
    const noteCount = new Map();

    before(async () => {
      ann = await chatMember(server, 'Thread Ann');
      bob = await chatMember(server, 'Thread Bob');
      cat = await chatMember(server, 'Thread Cat');
      dan = await chatMember(server, 'Thread Dan');
      eve = await chatMember(server, 'Thread Eve');
      const r = await okRoom(server, ann, 'POST', '/messages',
        { chat_room: { kind: 'group_chat', community_member_ids: [bob.id, cat.id, dan.id], name: 'Threads' } }, 200);
      room = { id: r.id, uuid: r.uuid, kind: 'group_chat' };
      pids = await participantIds(server, ann, room);
      G = streams.room(room.id);
      annA = await open(ann, 'ann (device A)');
      annB = await open(ann, 'ann (device B)');
      bobS = await open(bob, 'bob');
      catS = await open(cat, 'cat');
      danS = await open(dan, 'dan');
      eveS = await open(eve, 'eve');
      all = [annA, annB, bobS, catS, danS, eveS];
      for (const s of [annA, bobS, catS, danS]) await s.joinRoom(room);
      const sent = await send(server, ann, room, { body: 'Thread starter' });
      parent = { id: sent.id, room, sender: ann, pid: pids.get(ann.id), body: 'Thread starter', sentAt: sent.sent_at };
      await settle(server, all);
    });

    async function got(extra) {
      const [a, b, c, d, e, f] = await settle(server, all, extra);
      return { annA: a, annB: b, bob: c, cat: d, dan: e, eve: f };
    }
    const T = (m) => streams.threads(m.id);
    const N = (m) => streams.notifications(m.id);

    /** Asserts member's notification events (on one device) are newNotification then
     *  updateNewNotificationCount for a reply `replyId` by `actor`; the count goes up by one. */
    function assertReplyNotification(events, member, replyId, actor, what) {
      const notes = events.filter((e) => e.stream === N(member));
      assert.deepEqual(notes.map((e) => e.event), ['newNotification', 'updateNewNotificationCount'], `${what}: notification events`);
      const n = notes[0].data;
      assert.equal(n.notifiable_type, 'ChatRoomMessage', `${what}: notifiable_type`);
      assert.equal(n.notifiable_id, replyId, `${what}: notifiable_id`);
      assert.equal(n.actor_name, actor.name, `${what}: actor_name`);
      const count = (noteCount.get(member.id) || 0) + 1;
      assert.deepEqual(notes[1].data, { new_notifications_count: count }, `${what}: count`);
      return count;
    }
    const chatOnly = (events) => events.filter((e) => !e.stream.startsWith('notification-channel-'));

    it("a reply's newMessage: room stream + threads streams of the parent's author and the replier; no chat-room stream", async () => {
      const sent = await send(server, bob, room, { body: 'First reply', parent_message_id: parent.id, creation_uuid: 'r-1' });
      assert.equal(sent.parent_message_id, parent.id);
      assert.equal(sent.creation_uuid, 'r-1');
      r1 = { id: sent.id, room, sender: bob, pid: pids.get(bob.id), body: 'First reply', creation_uuid: 'r-1', parent: parent.id,
        thread: parent.id, threadReplies: 1, writers: [ann, bob], sentAt: sent.sent_at };
      const ev = await got();
      assertStreams(chatOnly(ev.annA), [[G, 'newMessage'], [T(ann), 'newMessage']], 'ann A');
      assertStreams(chatOnly(ev.annB), [[T(ann), 'newMessage']], 'ann B');
      assertStreams(ev.bob, [[G, 'newMessage'], [T(bob), 'newMessage']], 'bob (the replier: no notification)');
      assertStreams(ev.cat, [[G, 'newMessage']], 'cat (not in the thread)');
      assertStreams(ev.dan, [[G, 'newMessage']], 'dan (not in the thread)');
      assertStreams(ev.eve, [], 'eve (not in the room)');
      for (const e of [...chatOnly(ev.annA), ...chatOnly(ev.annB), ...ev.bob, ...ev.cat, ...ev.dan]) {
        expectMessage(e.data, r1, `${e.stream} newMessage`);
      }
      for (const k of ['annA', 'annB']) assertReplyNotification(ev[k], ann, r1.id, bob, k);
      noteCount.set(ann.id, 1);
      // The parent now heads a thread.
      expectMessage(await ok(server, cat, 'GET', `/messages/${room.uuid}/chat_room_messages/${parent.id}`),
        { ...parent, thread: parent.id, replies: 1, writers: [ann, bob] }, 'parent after one reply');
    });

    it('a second replier joins the thread: the new reply reaches all three threads streams', async () => {
      const sent = await send(server, cat, room, { chat_room_message: { body: 'Second reply', parent_message_id: parent.id } });
      r2 = { id: sent.id, room, sender: cat, pid: pids.get(cat.id), body: 'Second reply', parent: parent.id, thread: parent.id,
        threadReplies: 2, writers: [ann, bob, cat], sentAt: sent.sent_at };
      const ev = await got();
      assertStreams(chatOnly(ev.annA), [[G, 'newMessage'], [T(ann), 'newMessage']], 'ann A');
      assertStreams(chatOnly(ev.annB), [[T(ann), 'newMessage']], 'ann B');
      assertStreams(ev.bob, [[G, 'newMessage'], [T(bob), 'newMessage']], 'bob (notified only for his own message\'s replies)');
      assertStreams(ev.cat, [[G, 'newMessage'], [T(cat), 'newMessage']], 'cat');
      assertStreams(ev.dan, [[G, 'newMessage']], 'dan');
      assertStreams(ev.eve, [], 'eve');
      for (const e of [...chatOnly(ev.annA), ...ev.bob, ...ev.cat, ...ev.dan]) expectMessage(e.data, r2, `${e.stream} newMessage`);
      for (const k of ['annA', 'annB']) assertReplyNotification(ev[k], ann, r2.id, cat, k);
      noteCount.set(ann.id, 2);
      // The earlier reply reflects the thread as it is now.
      expectMessage(await ok(server, dan, 'GET', `/messages/${room.uuid}/chat_room_messages/${r1.id}`),
        { ...r1, threadReplies: 2, writers: [ann, bob, cat] }, 'first reply now');
    });

    it("updatedMessage of a reply: room stream + every participant's threads stream", async () => {
      const r = await call(server, bob, 'PUT', `/messages/${room.uuid}/chat_room_messages/${r1.id}`, { body: 'First reply, edited' });
      assert.equal(r.status, 200, r.body);
      r1 = { ...r1, body: 'First reply, edited', edited: true, threadReplies: 2, writers: [ann, bob, cat] };
      expectMessage(r.json(), r1, 'PUT answer');
      const ev = await got();
      assertStreams(ev.annA, [[G, 'updatedMessage'], [T(ann), 'updatedMessage']], 'ann A');
      assertStreams(ev.annB, [[T(ann), 'updatedMessage']], 'ann B');
      assertStreams(ev.bob, [[G, 'updatedMessage'], [T(bob), 'updatedMessage']], 'bob');
      assertStreams(ev.cat, [[G, 'updatedMessage'], [T(cat), 'updatedMessage']], 'cat');
      assertStreams(ev.dan, [[G, 'updatedMessage']], 'dan');
      assertStreams(ev.eve, [], 'eve');
      for (const e of [...ev.annA, ...ev.annB, ...ev.bob, ...ev.cat, ...ev.dan]) assert.deepEqual(e.data, r.json(), e.stream);
    });

    it("updatedMessage of the parent: the room stream and the thread writers' threads streams", async () => {
      const r = await call(server, ann, 'PUT', `/messages/${room.uuid}/chat_room_messages/${parent.id}`, { body: 'Thread starter!' });
      assert.equal(r.status, 200, r.body);
      parent = { ...parent, body: 'Thread starter!', edited: true };
      expectMessage(r.json(), { ...parent, thread: parent.id, replies: 2, writers: [ann, bob, cat] }, 'PUT answer');
      const ev = await got();
      assertStreams(ev.annA, [[G, 'updatedMessage'], [T(ann), 'updatedMessage']], 'annA');
      assertStreams(ev.annB, [[T(ann), 'updatedMessage']], 'annB');
      assertStreams(ev.bob, [[G, 'updatedMessage'], [T(bob), 'updatedMessage']], 'bob');
      assertStreams(ev.cat, [[G, 'updatedMessage'], [T(cat), 'updatedMessage']], 'cat');
      assertStreams(ev.dan, [[G, 'updatedMessage']], 'dan (not a writer of the thread)');
      assertStreams(ev.eve, [], 'eve');
      for (const e of [...ev.annA, ...ev.annB, ...ev.bob, ...ev.cat]) assert.deepEqual(e.data, r.json(), e.stream);
    });

    it('chatThreadRead: every device of the reader, on its threads stream only', async () => {
      const r = await call(server, ann, 'POST', `/chat_threads/${parent.id}/mark_as_read`);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json(), {});
      const ev = await got();
      for (const k of ['annA', 'annB']) {
        assertStreams(ev[k], [[T(ann), 'chatThreadRead']], k);
        assert.deepEqual(ev[k][0].data, { chat_thread_id: parent.id });
      }
      for (const k of ['bob', 'cat', 'dan', 'eve']) assertStreams(ev[k], [], k);
    });

    it("deletedMessage of a reply: {id, parent_message} with the parent after the delete, on the room stream and every participant's threads stream", async () => {
      const r = await call(server, bob, 'DELETE', `/messages/${room.uuid}/chat_room_messages/${r1.id}`);
      assert.equal(r.status, 200, r.body);
      const ev = await got();
      assertStreams(ev.annA, [[G, 'deletedMessage'], [T(ann), 'deletedMessage']], 'ann A');
      assertStreams(ev.annB, [[T(ann), 'deletedMessage']], 'ann B');
      assertStreams(ev.bob, [[G, 'deletedMessage'], [T(bob), 'deletedMessage']], 'bob (the deleted reply\'s author)');
      assertStreams(ev.cat, [[G, 'deletedMessage'], [T(cat), 'deletedMessage']], 'cat');
      assertStreams(ev.dan, [[G, 'deletedMessage']], 'dan');
      assertStreams(ev.eve, [], 'eve');
      const data = ev.cat[0].data;
      assert.deepEqual(Object.keys(data), ['id', 'parent_message', 'chat_thread_id', 'deleted_reply_ids']);
      assert.equal(data.id, r1.id);
      assert.equal(data.chat_thread_id, parent.id);
      assert.deepEqual(data.deleted_reply_ids, []);
      expectMessage(data.parent_message, { ...parent, thread: parent.id, replies: 1, writers: [ann, cat] }, 'parent_message');
      for (const e of [...ev.annA, ...ev.annB, ...ev.bob, ...ev.cat, ...ev.dan]) assert.equal(e.text.slice(e.text.indexOf(',"message":')), ev.cat[0].text.slice(ev.cat[0].text.indexOf(',"message":')), e.stream);
    });

    it('a reply in an embedded room: room stream and threads streams only', async () => {
      const r = await api(server, 'POST', '/api/admin/v2/chat_rooms', { kind: 'lesson', name: 'Lesson 1', community_member_ids: [ann.id, bob.id] });
      assert.equal(r.status, 201, r.body);
      const created = unwrapRoom(r.json(), 'admin lesson');
      const lesson = { id: created.id, uuid: created.uuid, kind: 'lesson' };
      const lp = await participantIds(server, ann, lesson);
      await annA.joinRoom(lesson);
      await bobS.joinRoom(lesson, true);
      const L = streams.room(lesson.id);
      const top = await send(server, bob, lesson, { body: 'question' });
      let ev = await got();
      assertStreams(ev.annA, [[L, 'newMessage']], 'ann A: top-level, room stream only');
      assertStreams(ev.bob, [[L, 'newMessage']], 'bob');
      for (const k of ['annB', 'cat', 'dan', 'eve']) assertStreams(ev[k], [], k);

      const reply = await send(server, ann, lesson, { body: 'answer', parent_message_id: top.id });
      ev = await got();
      assertStreams(ev.annA, [[L, 'newMessage'], [T(ann), 'newMessage']], 'ann A');
      assertStreams(ev.annB, [[T(ann), 'newMessage']], 'ann B');
      assertStreams(chatOnly(ev.bob), [[L, 'newMessage'], [T(bob), 'newMessage']], 'bob');
      for (const k of ['cat', 'dan', 'eve']) assertStreams(ev[k], [], k);
      assertReplyNotification(ev.bob, bob, reply.id, ann, 'bob');
      expectMessage(ev.bob.find((e) => e.stream === T(bob)).data, {
        id: reply.id, room: lesson, sender: ann, pid: lp.get(ann.id), body: 'answer', parent: top.id, thread: top.id,
        threadReplies: 1, writers: [ann, bob], sentAt: reply.sent_at,
      }, 'lesson reply');
    });

    it('deleting a parent removes its replies: deletedMessage names them, on the room stream and the thread streams', async () => {
      const r = await call(server, ann, 'DELETE', `/messages/${room.uuid}/chat_room_messages/${parent.id}`);
      assert.equal(r.status, 200, r.body);
      const ev = await got();
      const gone = { id: parent.id, parent_message: null, chat_thread_id: parent.id, deleted_reply_ids: [r2.id] };
      for (const k of ['annA', 'bob', 'cat', 'dan']) {
        const onRoom = ev[k].filter((e) => e.stream === G);
        assert.deepEqual(onRoom.map((e) => e.event), ['deletedMessage'], k);
        assert.deepEqual(onRoom[0].data, gone);
      }
      // The thread's writers (ann wrote the parent, cat the reply left) hear it on their threads streams.
      for (const [k, m] of [['annA', ann], ['annB', ann], ['cat', cat]]) {
        const onThread = ev[k].filter((e) => e.stream === T(m));
        assert.deepEqual(onThread.map((e) => [e.event, e.data]), [['deletedMessage', gone]], `${k}: the thread stream`);
      }
      for (const k of Object.keys(ev)) {
        assert.ok(!ev[k].some((e) => e.stream.startsWith('chat-room-channel-')), `${k}: nothing on the chat-room stream`);
      }
      assertError(await call(server, cat, 'GET', `/messages/${room.uuid}/chat_room_messages/${r2.id}`), 404,
        errorBody('Chat room message not found'), 'the reply went with its parent');
      assertError(await call(server, cat, 'GET', `/chat_threads/${parent.id}`), 404, THREAD_NOT_FOUND, 'the thread is gone');
      assert.deepEqual((await ok(server, cat, 'GET', '/chat_threads')).records, []);
    });
  });

  describe('thread counts after replies, reads and deletes', () => {
    let x, y, z, w, outsider;
    let room, pids, top;
    const R = [];
    const base = () => ({ id: top.id, room, sender: x, pid: pids.get(x.id), body: 'top' });

    /** {thread id: unread_messages_count} in member's /chat_threads, and its unread_chat_threads. */
    async function threadsOf(m) {
      const list = await ok(server, m, 'GET', '/chat_threads');
      assert.deepEqual(Object.keys(list), ['page', 'per_page', 'has_next_page', 'records']);
      const unread = (await ok(server, m, 'GET', '/chat_threads/unread_chat_threads')).chat_thread_ids;
      return { list: Object.fromEntries(list.records.map((t) => [t.id, t.unread_messages_count])), unread };
    }
    async function parentNow() {
      return ok(server, w, 'GET', `/messages/${room.uuid}/chat_room_messages/${top.id}`);
    }
    async function reply(m, body) {
      const s = await send(server, m, room, { body, parent_message_id: top.id });
      R.push({ id: s.id, sender: m, body });
      return s.id;
    }

    before(async () => {
      x = await chatMember(server, 'Count X');
      y = await chatMember(server, 'Count Y');
      z = await chatMember(server, 'Count Z');
      w = await chatMember(server, 'Count W');
      outsider = await chatMember(server, 'Count Outsider');
      const r = await okRoom(server, x, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: [y.id, z.id, w.id], name: 'TC' } }, 200);
      room = { id: r.id, uuid: r.uuid, kind: 'group_chat' };
      pids = await participantIds(server, x, room);
      top = await send(server, x, room, { body: 'top' });
    });

    it('a message without replies is no thread', async () => {
      expectMessage(await parentNow(), base(), 'top');
      for (const m of [x, y, z, w]) assert.deepEqual(await threadsOf(m), { list: {}, unread: [] }, `member ${m.id}`);
      assertError(await call(server, x, 'GET', `/chat_threads/${top.id}/x`), 404, errorBody('Not found'), 'unknown path');
    });

    it('one reply: the parent counts it; the parent author has it unread, the replier not', async () => {
      await reply(y, 'y1');
      expectMessage(await parentNow(), { ...base(), thread: top.id, replies: 1, writers: [x, y] }, 'parent');
      assert.deepEqual(await threadsOf(x), { list: { [top.id]: 1 }, unread: [top.id] });
      assert.deepEqual(await threadsOf(y), { list: { [top.id]: 0 }, unread: [] });
      assert.deepEqual(await threadsOf(z), { list: {}, unread: [] }, 'z is not in the thread');
      assert.deepEqual(await threadsOf(w), { list: {}, unread: [] }, 'w is not in the thread');
    });

    it('more repliers: counts of replies, participants and each member\'s unread replies', async () => {
      await reply(z, 'z1');
      await reply(z, 'z2');
      expectMessage(await parentNow(), { ...base(), thread: top.id, replies: 3, writers: [x, y, z] }, 'parent after 3');
      await reply(y, 'y2');
      expectMessage(await parentNow(), { ...base(), thread: top.id, replies: 4, writers: [x, y, z] }, 'parent after 4');
      assert.deepEqual(await threadsOf(x), { list: { [top.id]: 4 }, unread: [top.id] });
      assert.deepEqual(await threadsOf(y), { list: { [top.id]: 2 }, unread: [top.id] }, 'y: z1 and z2');
      assert.deepEqual(await threadsOf(z), { list: { [top.id]: 2 }, unread: [top.id] }, 'z: y1 and y2');
      // Each reply carries the thread's counts; its own replies_count is 0.
      for (const r of R) {
        const got = await ok(server, x, 'GET', `/messages/${room.uuid}/chat_room_messages/${r.id}`);
        expectMessage(got, { id: r.id, room, sender: r.sender, pid: pids.get(r.sender.id), body: r.body, parent: top.id, thread: top.id,
          replies: 0, threadReplies: 4, writers: [x, y, z] }, `reply ${r.body}`);
      }
      // The thread itself: the parent and its replies, ascending.
      const t = await ok(server, z, 'GET', `/chat_threads/${top.id}`);
      assert.equal(t.id, top.id);
      assert.equal(t.chat_room_uuid, room.uuid);
      assert.equal(t.replies_count, 4);
      assert.equal(t.unread_messages_count, 2);
      expectMessage(t.parent_message, { ...base(), thread: top.id, replies: 4, writers: [x, y, z] }, 'thread parent');
      assert.deepEqual(t.replies.map((m) => m.id), R.map((r) => r.id));
    });

    it('thread_participants_preview lists the writers as participants, like sender and other_participants_preview', async () => {
      const p = await parentNow();
      const byMember = (a, b) => a.community_member_id - b.community_member_id;
      assert.deepEqual([...p.thread_participants_preview].sort(byMember), [x, y, z].map((m) => ({
        id: pids.get(m.id), name: m.name, avatar_url: null, community_member_id: m.id,
      })).sort(byMember));
    });

    it('mark_as_read: zero for the reader only, until the next reply by someone else', async () => {
      await ok(server, x, 'POST', `/chat_threads/${top.id}/mark_as_read`);
      assert.deepEqual(await threadsOf(x), { list: { [top.id]: 0 }, unread: [] });
      assert.deepEqual(await threadsOf(y), { list: { [top.id]: 2 }, unread: [top.id] });
      await ok(server, y, 'POST', `/chat_threads/${top.id}/mark_as_read`);
      assert.deepEqual(await threadsOf(y), { list: { [top.id]: 0 }, unread: [] });
      // The parent's author replies: still three participants; the others have one more unread.
      await reply(x, 'x1');
      expectMessage(await parentNow(), { ...base(), thread: top.id, replies: 5, writers: [x, y, z] }, 'parent after 5');
      assert.deepEqual(await threadsOf(x), { list: { [top.id]: 0 }, unread: [] }, 'own reply');
      assert.deepEqual(await threadsOf(y), { list: { [top.id]: 1 }, unread: [top.id] });
      assert.deepEqual(await threadsOf(z), { list: { [top.id]: 3 }, unread: [top.id] });
      // A room read leaves threads alone, and replies leave the room count alone.
      await ok(server, z, 'POST', `/messages/${room.uuid}/mark_all_as_read`);
      assert.deepEqual(await threadsOf(z), { list: { [top.id]: 3 }, unread: [top.id] });
      assert.equal((await okRoom(server, y, 'GET', `/messages/${room.uuid}`)).unread_messages_count, 1, 'y: only the top-level message');
    });

    it('the reply window: around a reply, its siblings in the thread, ascending', async () => {
      const ids = R.map((r) => r.id);
      const win = await ok(server, y, 'GET', `/messages/${room.uuid}/chat_room_messages?id=${ids[2]}&previous_per_page=1&next_per_page=1`);
      assert.deepEqual(win.records.map((m) => m.id), [ids[1], ids[2], ids[3]]);
      assert.equal(win.has_previous_page, true);
      assert.equal(win.has_next_page, true);
      const first = await ok(server, y, 'GET', `/messages/${room.uuid}/chat_room_messages?id=${ids[0]}&previous_per_page=5&next_per_page=10`);
      assert.deepEqual(first.records.map((m) => m.id), ids);
      assert.equal(first.has_previous_page, false);
      assert.equal(first.has_next_page, false);
      const replies = await ok(server, y, 'GET', `/messages/${room.uuid}/chat_room_messages?id=${top.id}&previous_per_page=0&next_per_page=100`);
      assert.deepEqual(replies.records.map((m) => m.id), [top.id], 'around the parent: the room\'s top-level messages, not the replies');
    });

    it('reply deletes: counts go down; a member whose replies are all gone leaves the thread', async () => {
      const del = (m, r) => ok(server, m, 'DELETE', `/messages/${room.uuid}/chat_room_messages/${r.id}`, undefined, 200);
      const [y1, z1, z2, y2, x1] = R;
      await del(z, z1);
      expectMessage(await parentNow(), { ...base(), thread: top.id, replies: 4, writers: [x, y, z] }, 'after z1');
      assert.deepEqual(await threadsOf(z), { list: { [top.id]: 3 }, unread: [top.id] });
      await del(z, z2);
      expectMessage(await parentNow(), { ...base(), thread: top.id, replies: 3, writers: [x, y] }, 'after z2');
      assert.deepEqual(await threadsOf(z), { list: {}, unread: [] }, 'z left the thread');
      assert.deepEqual(await threadsOf(y), { list: { [top.id]: 1 }, unread: [top.id] }, 'y: x1');
      const t = await ok(server, x, 'GET', `/chat_threads/${top.id}`);
      assert.deepEqual(t.replies.map((m) => m.id), [y1.id, y2.id, x1.id]);
      expectMessage(await ok(server, x, 'GET', `/messages/${room.uuid}/chat_room_messages/${y2.id}`), {
        id: y2.id, room, sender: y, pid: pids.get(y.id), body: 'y2', parent: top.id, thread: top.id, threadReplies: 3, writers: [x, y],
      }, 'y2 after the deletes');
      await del(y, y1);
      await del(y, y2);
      expectMessage(await parentNow(), { ...base(), thread: top.id, replies: 1, writers: [x] }, 'only x1 left');
      assert.deepEqual(await threadsOf(y), { list: {}, unread: [] }, 'y left the thread');
      assert.deepEqual(await threadsOf(x), { list: { [top.id]: 0 }, unread: [] });
      await del(x, x1);
      expectMessage(await parentNow(), base(), 'no replies: no thread');
      for (const m of [x, y, z, w]) assert.deepEqual(await threadsOf(m), { list: {}, unread: [] }, `member ${m.id}`);
    });

    it('concurrent replies: every one counted, every one delivered to each participant once', async () => {
      const fresh = await send(server, w, room, { body: 'busy thread' });
      const wS = await open(w, 'w');
      const yS = await open(y, 'y');
      await settle(server, [wS, yS]);
      const N = 24;
      const sent = await Promise.all(Array.from({ length: N }, (_, i) =>
        send(server, i % 2 ? y : w, room, { body: `c${i}`, parent_message_id: fresh.id })));
      const [evW, evY] = await settle(server, [wS, yS]);
      const ids = sent.map((r) => r.id).sort((a, b) => a - b);
      assert.equal(new Set(ids).size, N);
      for (const [ev, who] of [[evW, w], [evY, y]]) {
        const onThreads = ev.filter((e) => e.stream === streams.threads(who.id));
        assert.ok(onThreads.every((e) => e.event === 'newMessage'), `${who.name}: only newMessage`);
        const got = onThreads.map((e) => e.data.id).sort((a, b) => a - b);
        assert.equal(new Set(got).size, got.length, `${who.name}: no duplicates`);
        if (who === w) assert.deepEqual(got, ids, 'w (the parent\'s author) gets every reply');
        else {
          // y joins with its first reply: it gets every reply whose participants were read after
          // y's first reply committed, its own replies among them. (Ids do not tell commit order:
          // PostgreSQL hands out ids before the concurrent transactions commit.)
          for (const r of sent.filter((_, i) => i % 2)) assert.ok(got.includes(r.id), `y got its reply ${r.id}`);
          for (const id of got) assert.ok(ids.includes(id), `y got only replies of this thread (${id})`);
        }
        assert.ok(!ev.some((e) => e.stream === streams.rooms(who.id)), `${who.name}: nothing on the chat-room stream`);
      }
      const p = await ok(server, x, 'GET', `/messages/${room.uuid}/chat_room_messages/${fresh.id}`);
      assert.equal(p.replies_count, N);
      assert.equal(p.chat_thread_replies_count, N);
      assert.equal(p.total_thread_participants_count, 2);
      const t = await ok(server, w, 'GET', `/chat_threads/${fresh.id}`);
      assert.deepEqual(t.replies.map((m) => m.id), ids);
      assert.equal(t.unread_messages_count, N / 2);
      wS.close();
      yS.close();
    });

    it('errors: unknown threads, replies, other rooms\' threads and bad ids are 404', async () => {
      const other = await okRoom(server, outsider, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: [], name: 'Alone' } }, 200);
      const otherTop = await send(server, outsider, other, { body: 'mine' });
      await send(server, outsider, other, { body: 'r', parent_message_id: otherTop.id });
      const r = await send(server, y, room, { body: 'again', parent_message_id: top.id });
      for (const [method, suffix] of [['GET', ''], ['POST', '/mark_as_read']]) {
        for (const id of [999999, r.id, otherTop.id]) {
          assertError(await call(server, x, method, `/chat_threads/${id}${suffix}`), 404, THREAD_NOT_FOUND, `${method} thread ${id}`);
        }
        for (const id of ['abc', '0', '-2']) {
          assertError(await call(server, x, method, `/chat_threads/${id}${suffix}`), 404, errorBody('Not found'), `${method} thread ${id}`);
        }
      }
      // The outsider sees their own thread, not ours.
      assert.deepEqual((await threadsOf(outsider)).list, { [otherTop.id]: 0 });
      assertError(await call(server, outsider, 'GET', `/chat_threads/${top.id}`), 404, THREAD_NOT_FOUND, 'foreign thread');
      for (const [method, path] of [['GET', '/chat_threads'], ['GET', `/chat_threads/${top.id}`], ['POST', `/chat_threads/${top.id}/mark_as_read`]]) {
        assertError(await api(server, method, `/api/headless/v1${path}`, undefined, { token: null }), 401,
          errorBody('The access token is invalid.'), `${method} ${path} without a token`);
      }
    });
  });
});
