// Circle's Member, Headless Auth and Admin API documents as the oracle (tests/integration/lib/
// openapi.js): (1) every route cabled serves under /api/headless/v1 (chat, threads, reactions,
// notifications, notification preferences, members), Headless Auth and the admin member routes
// answer a status the document lists with a body valid against its schema; (2) the behaviours
// those documents imply, with real sockets receiving the events: mentions by signed id,
// creation_uuid, a room's first message, reactions and their room event, a participant's mute and
// archive, notification preferences, kinds, archive and delete, every mentioned member notified
// (no cap), thread streams hearing of their parent, attachments (direct uploads, their files
// under --data-dir, signed URLs, limits), and bad input refused whole.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, stopAll } = require('./lib/server');
const { api, request } = require('./lib/http');
const { assertResponse, assertComponent } = require('./lib/openapi');
const {
  UUID_RE, streams, chatMember, call, ok, okRoom, ChatSocket, settle, assertStreams, participantIds, send, sgidOf,
  assertFieldError,
} = require('./lib/chat');

const V1 = '/api/headless/v1';

describe("Circle's documented API", () => {
  let server;
  const sockets = [];
  let ann, bob, cat, dan;
  let annS, bobS, catS, danS, all;
  let room, pids;

  before(async () => {
    server = await startServer({ args: ['--threads', '2'] });
    ann = await chatMember(server, 'Ann Circle');
    bob = await chatMember(server, 'Bob Circle');
    cat = await chatMember(server, 'Cat Circle');
    dan = await chatMember(server, 'Dan Circle');
    for (const m of [ann, bob, cat, dan]) m.sgid = await sgidOf(server, m);
    [annS, bobS, catS, danS] = await Promise.all([ann, bob, cat, dan].map((m) => ChatSocket.open(server, m)));
    all = [annS, bobS, catS, danS];
    sockets.push(...all);
  });
  after(async () => {
    for (const s of sockets) s.close();
    await stopAll();
  });

  const got = async () => {
    const ev = await settle(server, all);
    return { ann: ev[0], bob: ev[1], cat: ev[2], dan: ev[3] };
  };
  /** A Member API call as m, checked against Circle's document (path as the document spells it). */
  async function circle(m, method, path, docPath, body, opts = {}) {
    const r = await call(server, m, method, path, body);
    return { r, body: assertResponse(r, 'client', method, `${V1}${docPath}`, opts) };
  }
  const mention = (m) => ({ type: 'mention', attrs: { sgid: m.sgid } });
  const doc = (...nodes) => ({ type: 'doc', content: [{ type: 'paragraph', content: nodes }] });
  const text = (t) => ({ type: 'text', text: t });

  describe('rooms, first messages and mentions by sgid', () => {
    it("POST /messages: 200, Circle's chat_room, the first message kept, events to every participant", async () => {
      const body = {
        chat_room: {
          kind: 'group_chat', community_member_ids: [String(bob.id), String(cat.id)],
          rich_text_body: { body: doc(text('Welcome '), mention(bob)) },
        },
      };
      const { body: out } = await circle(ann, 'POST', '/messages', '/messages', body, { status: 200, schema: 'chat_room' });
      room = out.chat_room;
      assert.equal(room.identifier, `group_chat-${[ann.id, bob.id, cat.id].sort((a, b) => a - b).join('-')}`);
      assert.equal(room.last_message.body, 'Welcome ');
      assert.equal(room.last_message.rich_text_body.body.content[0].content[1].attrs.sgid, bob.sgid);
      pids = await participantIds(server, ann, room);
      const ev = await got();
      for (const [k, m] of [['ann', ann], ['bob', bob], ['cat', cat]]) {
        const mine = ev[k].filter((e) => e.stream === streams.rooms(m.id));
        assert.deepEqual(mine.map((e) => e.event), ['chatRoomCreated', 'newMessage'], k);
        assertComponent({ chat_room: mine[0].data }, 'client', 'chat_room', `${k} chatRoomCreated`);
        assert.equal(mine[0].data.last_message.id, room.last_message.id, `${k}: the view shows the first message`);
      }
      // bob is mentioned by sgid: notified, as the sender is not.
      const note = ev.bob.find((e) => e.event === 'newNotification');
      assert.ok(note, 'bob notified of the mention');
      assertComponent(note.data, 'client', 'notification', 'newNotification');
      assert.deepEqual([note.data.action, note.data.notification_type, note.data.notifiable_id, note.data.notifiable.chat_room_id],
        ['mention', 'mention', room.last_message.id, room.id]);
      assert.ok(!ev.ann.some((e) => e.event === 'newNotification'), 'the sender is not notified');
      assertStreams(ev.dan, [], 'dan');
      for (const s of [annS, bobS, catS]) await s.joinRoom(room);
    });

    it('GET /messages, /messages/{uuid}, unread_chat_rooms, participants, mark_all_as_read: the documented shapes', async () => {
      const { body: list } = await circle(cat, 'GET', '/messages', '/messages', undefined, { status: 200 });
      assert.ok(list.records.some((x) => x.uuid === room.uuid));
      const { body: shown } = await circle(cat, 'GET', `/messages/${room.uuid}`, '/messages/{uuid}', undefined, { status: 200 });
      assert.equal(shown.chat_room.unread_messages_count, 1);
      assert.equal(shown.chat_room.first_unread_message_id, room.last_message.id);
      const { body: unread } = await circle(cat, 'GET', '/messages/unread_chat_rooms', '/messages/unread_chat_rooms', undefined, { status: 200 });
      assert.deepEqual(unread.chat_rooms, [room.uuid]);
      const { body: people } = await circle(cat, 'GET', `/messages/${room.uuid}/chat_room_participants`,
        '/messages/{chat_room_uuid}/chat_room_participants', undefined, { status: 200 });
      assert.equal(people.count, 3);
      await circle(cat, 'POST', `/messages/${room.uuid}/mark_all_as_read`, '/messages/{uuid}/mark_all_as_read', undefined, { status: 200 });
      await got();
    });

    it('POST chat_room_messages: 202, creation_uuid echoed or made; GET, PUT, DELETE a message', async () => {
      const p = `/messages/${room.uuid}/chat_room_messages`;
      const d = '/messages/{chat_room_uuid}/chat_room_messages';
      const { body: a } = await circle(cat, 'POST', p, d, { rich_text_body: { body: doc(text('mine')) }, creation_uuid: 'cli-1' }, { status: 202 });
      assert.equal(a.creation_uuid, 'cli-1');
      const { body: b } = await circle(cat, 'POST', p, d, { rich_text_body: { body: doc(text('made')) } }, { status: 202 });
      assert.match(b.creation_uuid, UUID_RE);
      const { body: win } = await circle(cat, 'GET', p, d, undefined, { status: 200 });
      assert.equal(win.records.at(-1).creation_uuid, b.creation_uuid);
      await circle(cat, 'GET', `${p}/${a.id}`, `${d}/{id}`, undefined, { status: 200 });
      const { body: edited } = await circle(cat, 'PUT', `${p}/${a.id}`, `${d}/{id}`, { rich_text_body: { body: doc(text('mine, edited')) } }, { status: 200 });
      assert.equal(edited.body, 'mine, edited');
      const { r } = await circle(cat, 'DELETE', `${p}/${b.id}`, `${d}/{id}`, undefined, { status: 200, empty: true });
      assert.equal(r.body, '');
      await got();
    });

    it('bad input is refused whole: an sgid nobody signed, a room with a bad first message', async () => {
      const p = `/messages/${room.uuid}/chat_room_messages`;
      const before = (await ok(server, ann, 'GET', p)).total_count;
      const forged = `${bob.sgid.slice(0, -1)}${bob.sgid.endsWith('0') ? '1' : '0'}`;
      assertFieldError(await call(server, ann, 'POST', p, { rich_text_body: { body: doc(text('hi '), { type: 'mention', attrs: { sgid: forged } }) } }),
        'rich_text_body', 'forged sgid');
      assert.equal((await ok(server, ann, 'GET', p)).total_count, before, 'nothing stored');
      const rooms = (await ok(server, dan, 'GET', '/messages')).count;
      assertFieldError(await call(server, dan, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: [ann.id], rich_text_body: { body: { type: 'paragraph' } } } }),
        'rich_text_body', 'a first message that is no document');
      assert.equal((await ok(server, dan, 'GET', '/messages')).count, rooms, 'no room made');
      const ev = await got();
      for (const k of Object.keys(ev)) assertStreams(ev[k], [], k);
    });

    it('every mentioned member is notified, however many (no cap of 16)', async () => {
      const many = [];
      for (let i = 0; i < 20; i++) many.push(await chatMember(server, `Many ${i}`));
      for (const m of many) m.sgid = await sgidOf(server, m);
      const big = await okRoom(server, ann, 'POST', '/messages', { chat_room: { kind: 'group_chat', community_member_ids: many.map((m) => m.id), name: 'Many' } }, 200);
      await send(server, ann, big, { rich_text_body: { body: doc(...many.map(mention)) } });
      for (const m of many) {
        const r = await api(server, 'GET', `${V1}/notifications`, undefined, { token: m.token });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json().records.filter((n) => n.action === 'mention').length, 1, `member ${m.id} notified`);
      }
      await got();
    });
  });

  describe('reactions', () => {
    let msg;
    before(async () => {
      msg = await send(server, bob, room, { rich_text_body: { body: doc(text('react to me')) } });
      await got();
    });

    it('POST /reactions: Circle\'s answer, newReaction to every subscriber of the room, reactions on the message', async () => {
      const { body } = await circle(ann, 'POST', '/reactions', '/reactions', { chat_room_message: msg.id, emoji: 'heart' }, { status: 200 });
      assert.deepEqual(body, { success: true, message: 'Reaction created', reaction: { reactionable_type: 'ChatRoomMessage', reactionable_id: msg.id, community_member_id: ann.id, emoji: 'heart' } });
      await circle(cat, 'POST', '/reactions', '/reactions', { chat_room_message: msg.id, emoji: 'heart' }, { status: 200 });
      const ev = await got();
      const G = streams.room(room.id);
      for (const k of ['ann', 'bob', 'cat']) {
        assertStreams(ev[k].filter((e) => e.stream === G), [[G, 'newReaction'], [G, 'newReaction']], k);
        const last = ev[k].filter((e) => e.stream === G).at(-1).data;
        assert.deepEqual(last.reactions, [{ emoji: 'heart', count: 2, community_member_ids: [ann.id, cat.id] }], k);
        assert.equal(last.reactionable_id, msg.id);
      }
      assertStreams(ev.dan, [], 'dan is not in the room');
      const shown = await ok(server, bob, 'GET', `/messages/${room.uuid}/chat_room_messages/${msg.id}`);
      assertComponent(shown, 'client', 'chat_room_message');
      assert.deepEqual(shown.reactions, [{ emoji: 'heart', count: 2, community_member_ids: [ann.id, cat.id] }]);
    });

    it('DELETE /reactions: 204, deletedReaction; again: Circle\'s 404; a room one is not in: 404', async () => {
      const { r } = await circle(ann, 'DELETE', '/reactions', '/reactions', { chat_room_message: msg.id, emoji: 'heart' }, { status: 204, empty: true });
      assert.equal(r.body, '');
      const again = await call(server, ann, 'DELETE', '/reactions', { chat_room_message: msg.id, emoji: 'heart' });
      assertResponse(again, 'client', 'DELETE', `${V1}/reactions`, { status: 404, schema: 'error' });
      assert.deepEqual(again.json(), { success: false, message: 'Oops! Missing record. Please try again later.', error_details: { message: 'Missing record: reaction' } });
      assert.equal((await call(server, dan, 'POST', '/reactions', { chat_room_message: msg.id, emoji: 'heart' })).status, 404);
      assertFieldError(await call(server, ann, 'POST', '/reactions', { chat_room_message: msg.id }), 'emoji');
      assertFieldError(await call(server, ann, 'POST', '/reactions', { emoji: 'x' }), 'chat_room_message');
      const ev = await got();
      assertStreams(ev.bob.filter((e) => e.stream === streams.room(room.id)), [[streams.room(room.id), 'deletedReaction']], 'bob');
    });
  });

  describe('participants: mute and archive', () => {
    it('PUT chat_room_participants/{id}: muted, archived; a muted member is not notified, and their inbox leaves the room out', async () => {
      const d = '/messages/{chat_room_uuid}/chat_room_participants/{id}';
      const { body } = await circle(cat, 'PUT', `/messages/${room.uuid}/chat_room_participants/${pids.get(cat.id)}`, d, { muted: true }, { status: 200 });
      assert.equal(body.chat_room.current_participant.muted, true);
      assert.equal((await call(server, cat, 'PUT', `/messages/${room.uuid}/chat_room_participants/${pids.get(bob.id)}`, { muted: true })).status, 403);
      assertFieldError(await call(server, cat, 'PUT', `/messages/${room.uuid}/chat_room_participants/${pids.get(cat.id)}`, { archived: 'yes' }), 'archived');
      await send(server, ann, room, { rich_text_body: { body: doc(text('hey '), mention(cat), mention(bob)) } });
      const ev = await got();
      assert.ok(!ev.cat.some((e) => e.event === 'newNotification'), 'muted: no notification');
      assert.ok(ev.bob.some((e) => e.event === 'newNotification'), 'bob still notified');
      assert.deepEqual((await ok(server, cat, 'GET', '/messages/unread_chat_rooms')).chat_rooms, [], 'muted: out of the unread rooms');
      const { body: counts } = await circle(bob, 'GET', '/notifications/new_notifications_count', '/notifications/new_notifications_count', undefined, { status: 200 });
      assert.equal(counts.new_inbox_count, 1, 'bob has one room with unread messages');
      await ok(server, bob, 'PUT', `/messages/${room.uuid}/chat_room_participants/${pids.get(bob.id)}`, { archived: true });
      assert.equal((await ok(server, bob, 'GET', '/notifications/new_notifications_count')).new_inbox_count, 0, 'archived: out of the inbox');
      await ok(server, bob, 'PUT', `/messages/${room.uuid}/chat_room_participants/${pids.get(bob.id)}`, { archived: false });
      await ok(server, cat, 'PUT', `/messages/${room.uuid}/chat_room_participants/${pids.get(cat.id)}`, { muted: false });
      await got();
    });
  });

  describe('notifications', () => {
    it('GET, counts, mark one, archive, delete, reset: the documented shapes', async () => {
      const { body: list } = await circle(bob, 'GET', '/notifications', '/notifications', undefined, { status: 200 });
      assert.ok(list.records.length >= 2);
      const { body: counts } = await circle(bob, 'GET', '/notifications/new_notifications_count', '/notifications/new_notifications_count', undefined, { status: 200 });
      assert.ok(counts.new_mentions_count >= 2, JSON.stringify(counts));
      const [first, second] = list.records;
      await circle(bob, 'POST', `/notifications/${first.id}/mark_as_read`, '/notifications/{id}/mark_as_read', undefined, { status: 200 });
      const { body: archived } = await circle(bob, 'POST', `/notifications/${second.id}/archive`, '/notifications/{id}/archive', undefined, { status: 200 });
      assert.ok(archived.archived_at);
      assert.ok(!(await ok(server, bob, 'GET', '/notifications')).records.some((n) => n.id === second.id), 'archived: out of the list');
      await circle(bob, 'DELETE', `/notifications/${first.id}`, '/notifications/{id}', undefined, { status: 200 });
      assert.equal((await call(server, bob, 'DELETE', `/notifications/${first.id}`)).status, 404);
      assert.equal((await call(server, ann, 'POST', `/notifications/${second.id}/archive`)).status, 404, "another member's");
      await circle(bob, 'POST', '/notifications/reset_new_notifications_count', '/notifications/reset_new_notifications_count', undefined, { status: 200 });
      await got();
    });

    it('mark_all_as_read with notification_type marks that kind only', async () => {
      await api(server, 'POST', '/api/admin/v2/notifications', { community_member_id: dan.id, notifiable_title: 'Host' });
      const r = await send(server, ann, await okRoom(server, ann, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [dan.id] } }), { rich_text_body: { body: doc(mention(dan)) } });
      assert.ok(r.id);
      await circle(dan, 'POST', '/notifications/mark_all_as_read', '/notifications/mark_all_as_read', { notification_type: 'mention' }, { status: 200, schema: 'empty' });
      const unread = (await ok(server, dan, 'GET', '/notifications?status=unread')).records;
      assert.deepEqual(unread.map((n) => n.notifiable_title), ['Host'], 'the mention read, the host one not');
      assertFieldError(await call(server, dan, 'POST', '/notifications/mark_all_as_read', { notification_type: 'nope' }), 'notification_type');
      await got();
    });

    it('notification_preferences: a muted kind makes no notification and no event', async () => {
      const { body: prefs } = await circle(cat, 'GET', '/notification_preferences/in_app', '/notification_preferences/{medium}', undefined, { status: 200 });
      assert.deepEqual(prefs.notification_preferences.find((p) => p.type === 'mention'), { type: 'mention', name: 'Mentions', enabled: true });
      await circle(cat, 'PUT', '/notification_preferences/in_app?type=mention&enabled=false', '/notification_preferences/{medium}', undefined, { status: 200 });
      assert.equal((await ok(server, cat, 'GET', '/notification_preferences/in_app')).notification_preferences.find((p) => p.type === 'mention').enabled, false);
      const before = (await ok(server, cat, 'GET', '/notifications')).count;
      await send(server, ann, room, { rich_text_body: { body: doc(mention(cat)) } });
      const ev = await got();
      assert.ok(!ev.cat.some((e) => e.stream === streams.notifications(cat.id)), 'no event');
      assert.equal((await ok(server, cat, 'GET', '/notifications')).count, before, 'no notification');
      assertFieldError(await call(server, cat, 'PUT', '/notification_preferences/in_app?type=nope&enabled=true'), 'type');
      assertFieldError(await call(server, cat, 'PUT', '/notification_preferences/fax?type=mention&enabled=true'), 'medium');
      await ok(server, cat, 'PUT', '/notification_preferences/in_app?type=mention&enabled=true');
    });
  });

  describe('space notification preferences', () => {
    it('a space\'s choice: all, mention (only mentions notify), never; the documented routes and shapes', async () => {
      const r = await api(server, 'POST', '/api/admin/v2/chat_rooms', { kind: 'space', name: 'Garden', community_member_ids: [ann.id, bob.id] });
      assert.equal(r.status, 201, r.body);
      const space = r.json().chat_room;
      const pid = (await participantIds(server, bob, space)).get(bob.id);
      const { body: prefs } = await circle(bob, 'GET', '/notification_preferences/in_app', '/notification_preferences/{medium}', undefined, { status: 200 });
      assert.deepEqual(prefs.space_preferences, [{ id: pid, space_id: space.id, space_name: 'Garden', choice: 'all', is_chat_space: true }]);
      await circle(bob, 'PUT', `/notification_preferences/in_app/spaces/${pid}?choice=mention`, '/notification_preferences/{notification_preference_medium}/spaces/{id}', undefined, { status: 200 });
      const { body: one } = await circle(bob, 'GET', `/notification_preferences/space_members/${pid}`, '/notification_preferences/space_members/{id}', undefined, { status: 200 });
      assert.deepEqual(one, { in_app: 'mention', push: 'mention' });
      const top = await send(server, bob, space, { body: 'in the garden' });
      await send(server, ann, space, { body: 'a reply', parent_message_id: top.id });
      let ev = await got();
      assert.ok(!ev.bob.some((e) => e.event === 'newNotification'), 'mention only: no reply notification');
      await send(server, ann, space, { rich_text_body: { body: doc(mention(bob)) } });
      ev = await got();
      assert.equal(ev.bob.filter((e) => e.event === 'newNotification').length, 1, 'a mention notifies');
      await circle(bob, 'PUT', '/notification_preferences/push/spaces?choice=never', '/notification_preferences/{notification_preference_medium}/spaces', undefined, { status: 200 });
      await send(server, ann, space, { rich_text_body: { body: doc(mention(bob)) } });
      ev = await got();
      assert.ok(!ev.bob.some((e) => e.event === 'newNotification'), 'never: nothing');
      assert.equal((await call(server, ann, 'GET', `/notification_preferences/space_members/${pid}`)).status, 404, "another member's");
      assertFieldError(await call(server, bob, 'PUT', `/notification_preferences/in_app/spaces/${pid}?choice=sometimes`), 'choice');
      await ok(server, bob, 'PUT', '/notification_preferences/in_app/spaces?choice=all');
    });
  });

  describe('threads', () => {
    it('chat_threads, a thread, unread ones: the documented shapes; the thread stream hears of its parent', async () => {
      const parent = await send(server, ann, room, { rich_text_body: { body: doc(text('parent')) } });
      await send(server, bob, room, { rich_text_body: { body: doc(text('reply')) }, parent_message_id: parent.id });
      await got();
      await circle(ann, 'GET', '/chat_threads', '/chat_threads', undefined, { status: 200 });
      await circle(ann, 'GET', `/chat_threads/${parent.id}`, '/chat_threads/{id}', undefined, { status: 200 });
      await circle(ann, 'GET', '/chat_threads/unread_chat_threads', '/chat_threads/unread_chat_threads', undefined, { status: 200 });
      await ok(server, ann, 'PUT', `/messages/${room.uuid}/chat_room_messages/${parent.id}`, { body: 'parent, edited' });
      const ev = await got();
      assertStreams(ev.bob.filter((e) => e.stream === streams.threads(bob.id)), [[streams.threads(bob.id), 'updatedMessage']], 'bob hears of the edited parent');
    });
  });

  describe('members', () => {
    it('GET /community_members and POST /search/community_members find someone to message, with their sgid', async () => {
      const { body: list } = await circle(ann, 'GET', '/community_members?per_page=100', '/community_members', undefined, { status: 200 });
      const listed = list.records.find((m) => m.community_member_id === dan.id);
      assert.equal(listed.sgid, dan.sgid);
      const { body: found } = await circle(ann, 'POST', '/search/community_members', '/search/community_members', { search_text: 'dan circ' }, { status: 200 });
      assert.deepEqual(found.records.map((m) => m.community_member_id), [dan.id]);
      assert.equal(found.records[0].user_attachable_sgid, dan.sgid);
      const { body: byText } = await circle(ann, 'GET', '/community_members?search_text=Cat', '/community_members', undefined, { status: 200 });
      assert.deepEqual(byText.records.map((m) => m.community_member_id), [cat.id]);
      assertFieldError(await call(server, ann, 'POST', '/search/community_members', { order: 'sideways' }), 'order');
    });
  });

  describe('Headless Auth and Admin v2', () => {
    it('auth_token, refresh, revoke: documented statuses and shapes', async () => {
      const g = await api(server, 'POST', '/api/v1/headless/auth_token', { community_member_id: dan.id });
      const grant = assertResponse(g, 'auth', 'POST', '/api/v1/headless/auth_token', { status: 200 });
      assertResponse(await api(server, 'POST', '/api/v1/headless/auth_token', { email: 'nobody@example.com' }), 'auth', 'POST', '/api/v1/headless/auth_token', { status: 404 });
      assertResponse(await api(server, 'POST', '/api/v1/headless/auth_token', { email: 'x@example.com' }, { token: 'wrong' }), 'auth', 'POST', '/api/v1/headless/auth_token', { status: 401 });
      const R = '/api/v1/headless/access_token/refresh';
      assertResponse(await api(server, 'PATCH', R, { refresh_token: grant.refresh_token }, { token: null }), 'auth', 'PATCH', R, { status: 200 });
      assertResponse(await api(server, 'PATCH', R, { refresh_token: 'z'.repeat(43) }, { token: null }), 'auth', 'PATCH', R, { status: 404 });
      const A = '/api/v1/headless/access_token/revoke';
      assertResponse(await api(server, 'POST', A, { access_token: grant.access_token }), 'auth', 'POST', A, { status: 204, empty: true });
      assertResponse(await api(server, 'POST', A, { access_token: grant.access_token }), 'auth', 'POST', A, { status: 422 });
      assertResponse(await api(server, 'POST', A, {}), 'auth', 'POST', A, { status: 404 });
      const F = '/api/v1/headless/refresh_token/revoke';
      assertResponse(await api(server, 'POST', F, { refresh_token: grant.refresh_token }), 'auth', 'POST', F, { status: 204, empty: true });
      assertResponse(await api(server, 'POST', F, { refresh_token: grant.refresh_token }), 'auth', 'POST', F, { status: 404 });
    });

    it('community_members: create, list (active by default), show, deactivate, delete', async () => {
      const M = '/api/admin/v2/community_members';
      const c = await api(server, 'POST', M, { email: 'circle-admin@example.com', name: 'Circle Admin' });
      const created = assertResponse(c, 'admin', 'POST', M, { status: 201 });
      const id = created.community_member.id;
      assertResponse(await api(server, 'GET', `${M}?per_page=100`), 'admin', 'GET', M, { status: 200 });
      assertResponse(await api(server, 'GET', `${M}/${id}`), 'admin', 'GET', `${M}/{id}`, { status: 200 });
      assertResponse(await api(server, 'DELETE', `${M}/${id}`), 'admin', 'DELETE', `${M}/{id}`, { status: 200 });
      const active = (await api(server, 'GET', `${M}?per_page=100`)).json().records.map((m) => m.id);
      assert.ok(!active.includes(id), 'a deactivated member is not listed by default');
      const inactive = (await api(server, 'GET', `${M}?per_page=100&status=inactive`)).json().records.map((m) => m.id);
      assert.deepEqual(inactive, [id]);
      assertResponse(await api(server, 'PUT', `${M}/${id}/delete_member`), 'admin', 'PUT', `${M}/{id}/delete_member`, { status: 200 });
      assertResponse(await api(server, 'GET', `${M}/${id}`), 'admin', 'GET', `${M}/{id}`, { status: 404 });
    });
  });

  describe('attachments: direct uploads', () => {
    let up; // a server with a data directory and a small body limit
    let dir, x, y, xroom;
    const md5 = (b) => crypto.createHash('md5').update(b).digest('base64');
    const blob = (bytes, over = {}) => ({ blob: { key: 'ignored', filename: 'hello world.txt', content_type: 'text/plain', byte_size: bytes.length, checksum: md5(bytes), metadata: { identified: true }, ...over } });
    const put = (u, bytes, headers = {}) => request(up.port, { method: 'PUT', path: u.direct_upload.url, headers: { ...u.direct_upload.headers, ...headers }, body: bytes });

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-uploads-'));
      up = await startServer({ args: ['--threads', '2', '--data-dir', dir, '--max-body-size', '65536'] });
      x = await chatMember(up, 'Up X');
      y = await chatMember(up, 'Up Y');
      xroom = await okRoom(up, x, 'POST', '/messages', { chat_room: { kind: 'direct', community_member_ids: [y.id] } }, 200);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("POST direct_uploads: Circle's answer; PUT the bytes; a message carries the file; its signed URL serves it", async () => {
      const bytes = Buffer.from('hello, attached file\n');
      const r = await call(up, x, 'POST', '/direct_uploads', blob(bytes));
      const u = assertResponse(r, 'client', 'POST', `${V1}/direct_uploads`, { status: 200 });
      assert.deepEqual([u.filename, u.content_type, u.byte_size, u.checksum, u.community_member_id], ['hello world.txt', 'text/plain', bytes.length, md5(bytes), x.id]);
      assert.equal((await put(u, bytes)).status, 204);
      assert.equal((await put(u, bytes)).status, 409, 'the bytes are there already');
      const sent = await send(up, x, xroom, { rich_text_body: { body: doc(text('see attached')), attachments: [u.signed_id] } });
      const m = await ok(up, y, 'GET', `/messages/${xroom.uuid}/chat_room_messages/${sent.id}`);
      assertComponent(m, 'client', 'chat_room_message');
      const [a] = m.rich_text_body.attachments;
      assert.deepEqual([a.id, a.filename, a.byte_size, a.attachable_sgid], [u.id, 'hello world.txt', bytes.length, u.attachable_sgid]);
      assert.match(a.url, /^\/uploads\/[^/]+\/hello%20world\.txt$/);
      const file = await request(up.port, { path: a.url });
      assert.equal(file.status, 200);
      assert.equal(file.body, bytes.toString());
      assert.match(String(file.headers['content-type']), /^text\/plain/);
      assert.match(String(file.headers['content-disposition']), /^attachment/);
      const tampered = a.url.replace(/\/uploads\/(\d+)-/, (_, id) => `/uploads/${Number(id) + 1}-`);
      assert.equal((await request(up.port, { path: tampered })).status, 404, 'another id under the same signature');
    });

    it('limits with clear errors, and nothing written: size, type, checksum, what is PUT, whose upload', async () => {
      const bytes = Buffer.from('tiny');
      assertFieldError(await call(up, x, 'POST', '/direct_uploads', blob(bytes, { byte_size: 65537 })), 'byte_size', 'over --max-body-size');
      assertFieldError(await call(up, x, 'POST', '/direct_uploads', blob(bytes, { content_type: 'text/html' })), 'content_type', 'html');
      assertFieldError(await call(up, x, 'POST', '/direct_uploads', blob(bytes, { checksum: 'nope' })), 'checksum', 'not an MD5');
      assertFieldError(await call(up, x, 'POST', '/direct_uploads', blob(bytes, { filename: '../etc/passwd' })), 'filename', 'a path');
      assertFieldError(await call(up, x, 'POST', '/direct_uploads', {}), 'blob', 'no blob');
      const u = (await ok(up, x, 'POST', '/direct_uploads', blob(bytes)));
      const wrong = await put(u, Buffer.from('TINY'));
      assert.equal(wrong.status, 422, wrong.body);
      assert.equal((await put(u, Buffer.from('tiny!'))).status, 422, 'another size');
      assert.equal((await request(up.port, { method: 'PUT', path: '/uploads/1-9999999999-0000', body: 'x' })).status, 401, 'a forged upload URL is refused from its head');
      const p = `/messages/${xroom.uuid}/chat_room_messages`;
      const before = (await ok(up, y, 'GET', p)).total_count;
      assertFieldError(await call(up, x, 'POST', p, { rich_text_body: { body: doc(text('not there yet')), attachments: [u.signed_id] } }), 'rich_text_body', 'bytes not uploaded');
      assert.equal((await put(u, bytes)).status, 204);
      assertFieldError(await call(up, y, 'POST', p, { rich_text_body: { body: doc(text('not mine')), attachments: [u.attachable_sgid] } }), 'rich_text_body', "another member's upload");
      assertFieldError(await call(up, x, 'POST', p, { rich_text_body: { body: doc(text('forged')), attachments: ['x--0000'] } }), 'rich_text_body', 'a forged sgid');
      assert.equal((await ok(up, y, 'GET', p)).total_count, before, 'no message written');
    });

    it('a server without --data-dir refuses uploads', async () => {
      const r = await call(server, ann, 'POST', '/direct_uploads', blob(Buffer.from('x')));
      assert.equal(r.status, 403, r.body);
      assert.deepEqual(r.json(), { success: false, message: 'Uploads are not enabled on this server', error_details: {} });
    });
  });
});
