// tests/integration/lib/chat.js — members with access tokens, Member API calls, sockets that
// subscribe to a member's own chat streams, and the fence that collects what each socket got.
//
// chatMember() creates a member through the admin API and gets its access token through
// POST /api/v1/headless/auth_token. call() is a Member API request under /api/headless/v1 with
// that token. ChatSocket opens one WebSocket for a member (one "device"), subscribes to
// ChatRoomChannel, Chats::CommunityMemberThreadsChannel and NotificationChannel, and on demand to
// Chats::RoomChannel; it remembers which stream each identifier streams from.
// settle() is the barrier of the chat tests: one POST /api/v1/broadcast carries a fence to every
// stream any of the sockets listens to; deliveries to a connection keep the order of publishing,
// and every event of a finished REST call was published before its answer, so once a socket has
// the fence on each of its subscriptions it has everything that call produced. settle() returns,
// per socket, the events that came before the fences ({stream, event, data, text}) and empties
// the inboxes, so each step of a test sees only what its own action produced.
// The expect*() builders give the exact JSON the server must send (SPEC 2.5), with the server's
// timestamps checked against ISO_MS_RE and copied in. A route that answers one room wraps it as
// {"chat_room": {…}} (Circle's Member API); unwrapRoom() checks that envelope and okRoom() is ok()
// followed by it, while lists and events carry bare rooms.

'use strict';

const assert = require('node:assert/strict');
const { api, publish, createMember } = require('./http');
const { CableClient, ident, frames, railsJSON, isPing } = require('./clients');
const { assertComponent } = require('./openapi');

const V1 = '/api/headless/v1';
const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The error body of SPEC 3: {success:false, message, error_details}. */
const errorBody = (message, details = {}) => ({ success: false, message, error_details: details });
/** A 400 naming a field, Rails-style. */
const fieldError = (field, problem = 'is invalid') => errorBody(`${field} ${problem}`, { [field]: [problem] });

/** Stream names of SPEC 2.4. */
const streams = {
  rooms: (memberId) => `chat-room-channel-${memberId}`,
  threads: (memberId) => `chat-community-member-${memberId}-threads-channel`,
  notifications: (memberId) => `notification-channel-${memberId}`,
  room: (roomId) => `chat-room-${roomId}-channel`,
};

/**
 * Creates a member named `name` and resolves with {id, name, token} (token: an access token from
 * POST /api/v1/headless/auth_token). Throws unless the server answers 201 and 200.
 */
async function chatMember(server, name) {
  const m = await createMember(server, { name });
  const r = await api(server, 'POST', '/api/v1/headless/auth_token', { community_member_id: m.id });
  if (r.status !== 200) throw new Error(`auth_token for member ${m.id} answered ${r.status} ${r.body}`);
  return { id: m.id, name, token: r.json().access_token };
}

/** A Member API call as `member` (its token) on path under /api/headless/v1. Resolves as api(). */
function call(server, member, method, path, body, opts = {}) {
  return api(server, method, V1 + path, body, { token: member.token, ...opts });
}

/** call() that must answer `status`; resolves with the parsed body (null for an empty one). */
async function ok(server, member, method, path, body, status = 200) {
  const r = await call(server, member, method, path, body);
  assert.equal(r.status, status, `${method} ${path} as member ${member.id}: ${r.body}`);
  return r.body === '' ? null : r.json();
}

/** Asserts body is exactly {"chat_room": room} (the answer of a route that returns one room) and
 *  returns the room. */
function unwrapRoom(body, what = 'room answer') {
  assert.ok(body && typeof body === 'object' && !Array.isArray(body), `${what}: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body), ['chat_room'], `${what}: the {"chat_room": …} envelope`);
  const room = body.chat_room;
  assert.ok(room && typeof room === 'object' && !Array.isArray(room), `${what}: chat_room ${JSON.stringify(room)}`);
  return room;
}

/** ok() for a route that answers one room: resolves with the room inside {"chat_room": …}. */
async function okRoom(server, member, method, path, body, status = 200) {
  return unwrapRoom(await ok(server, member, method, path, body, status), `${method} ${path} as member ${member.id}`);
}

/** Asserts an error answer: status and the exact body. */
function assertError(r, status, body, what = '') {
  assert.equal(r.status, status, `${what}: status; body ${r.body}`);
  assert.match(String(r.headers['content-type']), /^application\/json/, `${what}: content-type`);
  assert.deepEqual(r.json(), body, what);
}

/** One WebSocket of a member, subscribed to its own streams and to the rooms it joins. */
class ChatSocket {
  /** Opens a socket for member and subscribes to its three own channels. label names it in
   *  failure messages. */
  static async open(server, member, label = `member ${member.id}`) {
    const client = await CableClient.connectWelcomed(server.wsUrl, { token: member.token });
    const s = new ChatSocket(client, member, label);
    await s.subscribe({ channel: 'ChatRoomChannel', community_member_id: member.id }, streams.rooms(member.id));
    await s.subscribe({ channel: 'Chats::CommunityMemberThreadsChannel', community_member_id: member.id },
      streams.threads(member.id));
    await s.subscribe({ channel: 'NotificationChannel', community_member_id: member.id },
      streams.notifications(member.id));
    return s;
  }

  constructor(client, member, label) {
    this.client = client;
    this.member = member;
    this.label = label;
    this.subs = new Map(); // identifier -> stream
    this.silent = new Map(); // identifier -> stream, subscriptions expected to get nothing more
  }

  /** Stops fencing the subscriptions of stream (e.g. of a deleted room, whose stream the server
   *  drops): settle() no longer waits for their fence, and any frame on them still shows up as
   *  an event, so a test can check that nothing arrives. */
  silence(stream) {
    for (const [id, st] of this.subs) {
      if (st === stream) {
        this.subs.delete(id);
        this.silent.set(id, st);
      }
    }
  }

  /** Subscribes with the identifier object idObj; must be confirmed. */
  async subscribe(idObj, stream) {
    const id = ident(idObj);
    const got = await this.client.subscribe(id);
    assert.equal(got, 'confirm', `${this.label}: subscribe ${id}`);
    this.subs.set(id, stream);
  }

  /** Subscribes to Chats::RoomChannel of room ({id, uuid}) by chat_room_id, or by chat_room_uuid
   *  when byUuid. */
  joinRoom(room, byUuid = false) {
    const params = byUuid ? { channel: 'Chats::RoomChannel', chat_room_uuid: room.uuid }
      : { channel: 'Chats::RoomChannel', chat_room_id: room.id };
    return this.subscribe(params, streams.room(room.id));
  }

  /** Sends subscribe for Chats::RoomChannel with params and resolves 'confirm' or 'reject'
   *  (a confirmed one is remembered). */
  async tryRoom(params, roomId) {
    const id = ident({ channel: 'Chats::RoomChannel', ...params });
    const got = await this.client.subscribe(id);
    if (got === 'confirm') this.subs.set(id, streams.room(roomId));
    return got;
  }

  /** The distinct streams this socket listens to. */
  streams() { return [...new Set(this.subs.values())]; }

  close() { try { this.client.terminate(); } catch { /* already closed */ } }
}

const DATA_RE = /^\{"identifier":("(?:[^"\\]|\\.)*"),"message":([\s\S]*)\}$/;
let fenceSeq = 0;

/**
 * The barrier (see the file comment). extra: broadcasts ({stream, data}) published in the same
 * batch, before the fences. Resolves with an array, per socket in order, of the events that
 * arrived before the fences: {stream, event, data, text}. A frame that is not an event of a
 * known subscription fails the test.
 */
async function settle(server, sockets, extra = []) {
  const fence = { fence: ++fenceSeq, pid: process.pid };
  const all = new Set();
  for (const s of sockets) for (const st of s.streams()) all.add(st);
  await publish(server, [...extra, ...[...all].map((stream) => ({ stream, data: fence }))]);
  const fenceJSON = railsJSON(fence);
  for (const s of sockets) {
    for (const id of s.subs.keys()) {
      await s.client.expect(frames.data(id, fenceJSON), { what: `${s.label}: the fence on ${id}` });
    }
  }
  return sockets.map((s) => s.client.take((t) => !isPing(t)).map((text) => {
    const m = DATA_RE.exec(text);
    assert.ok(m, `${s.label}: not a data frame: ${text}`);
    const id = JSON.parse(m[1]);
    const stream = s.subs.get(id) || s.silent.get(id);
    assert.ok(stream, `${s.label}: a frame for an identifier it did not subscribe: ${text}`);
    const message = JSON.parse(m[2]);
    assert.ok(message && typeof message === 'object' && !Array.isArray(message), `${s.label}: ${text}`);
    assert.deepEqual(Object.keys(message), ['event', 'data'], `${s.label}: envelope of ${text}`);
    assert.equal(typeof message.event, 'string');
    return { stream, event: message.event, data: message.data, text };
  }));
}

/** "stream event" lines of events, stably sorted by stream (order within a stream kept). */
function summary(events) {
  return events.map((e) => [e.stream, e.event]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([s, e]) => `${s} ${e}`);
}

/** Asserts that a socket's events are exactly `expected` ([stream, event] pairs; order matters
 *  only within one stream). */
function assertStreams(events, expected, what) {
  const want = expected.map(([s, e]) => ({ stream: s, event: e }));
  assert.deepEqual(summary(events), summary(want), what);
}

/** The TipTap document the server makes from a plain body: one paragraph per line. */
function richDoc(body) {
  return {
    type: 'doc',
    content: body.split('\n').map((line) => (line ? { type: 'paragraph', content: [{ type: 'text', text: line }] }
      : { type: 'paragraph', content: [] })),
  };
}

/** Circle's rich_text_body object around a document (doc defaults to richDoc(body)). */
function richBody(body, doc = richDoc(body), attachments = []) {
  return {
    body: doc, circle_ios_fallback_text: body, attachments, inline_attachments: [], sgids_to_object_map: {},
    format: 'chat', community_members: [], entities: [], group_mentions: [], polls: [],
  };
}

const pick = (o, keys) => (o && typeof o === 'object' ? Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]])) : o);
const PERSON_KEYS = ['id', 'name', 'avatar_url', 'community_member_id'];

/** {id, name, avatar_url, community_member_id} of a member; id is the participant id. */
const person = (member, participantId) => ({
  id: participantId, name: member.name, avatar_url: null, community_member_id: member.id,
});

/** Thread preview entries compared without their id (see the thread tests), sorted by member. */
const previewKey = (list) => list.map(({ id, ...rest }) => rest)
  .sort((a, b) => a.community_member_id - b.community_member_id);

/**
 * Asserts got is the JSONMessage described by exp and returns got. exp: id, room ({uuid, kind}),
 * sender (member), pid (sender's participant id), body, rich (default richDoc(body)),
 * creation_uuid (null), parent (null), thread (chat_thread_id, null), edited (false),
 * replies (replies_count, 0), threadReplies (chat_thread_replies_count, default replies),
 * writers (members in the thread; total_thread_participants_count and the preview), sentAt
 * (when known). thread_participants_preview is compared without its ids (order-free, at most
 * three writers); chat_threads.test.js checks those ids on their own, so one wrong id does not
 * fail every message comparison.
 */
function expectMessage(got, exp, what = 'message') {
  assert.ok(got && typeof got === 'object', `${what}: ${JSON.stringify(got)}`);
  assertComponent(got, 'client', 'chat_room_message', what);
  assert.match(String(got.sent_at), ISO_MS_RE, `${what}: sent_at`);
  assert.equal(got.created_at, got.sent_at, `${what}: created_at equals sent_at`);
  if (exp.sentAt) assert.equal(got.sent_at, exp.sentAt, `${what}: sent_at as answered on send`);
  if (exp.edited) assert.match(String(got.edited_at), ISO_MS_RE, `${what}: edited_at`);
  if (exp.creation_uuid === undefined) assert.match(String(got.creation_uuid), UUID_RE, `${what}: a creation_uuid made`);
  const writers = exp.writers || [];
  const replies = exp.replies || 0;
  if (replies) assert.match(String(got.last_reply_at), ISO_MS_RE, `${what}: last_reply_at`);
  const rich = exp.rich || richDoc(exp.body);
  const expected = {
    id: exp.id,
    chat_room_uuid: exp.room.uuid,
    chat_room_kind: exp.room.kind,
    chat_room_participant_id: exp.pid,
    body: exp.body,
    rich_text_body: richBody(exp.body, rich, exp.attachments || []),
    sent_at: got.sent_at,
    created_at: got.sent_at,
    sender: person(exp.sender, exp.pid),
    creation_uuid: exp.creation_uuid === undefined ? got.creation_uuid : exp.creation_uuid,
    chat_thread_id: exp.thread === undefined ? null : exp.thread,
    parent_message_id: exp.parent === undefined ? null : exp.parent,
    bookmark_id: null,
    lesson_id: null,
    edited_at: exp.edited ? got.edited_at : null,
    replies_count: replies,
    last_reply_at: replies ? got.last_reply_at : null,
    total_thread_participants_count: writers.length,
    thread_participants_preview: previewKey(writers.slice(0, 3).map((m) => person(m, 0))),
    chat_thread_replies_count: exp.threadReplies === undefined ? replies : exp.threadReplies,
    reactions: exp.reactions || [],
    embedded_chat_message_access: [],
  };
  const cmp = {
    ...got,
    sender: pick(got.sender, PERSON_KEYS),
    thread_participants_preview: previewKey(got.thread_participants_preview || []),
  };
  if (exp.rich && got.rich_text_body && got.rich_text_body.circle_ios_fallback_text !== undefined) {
    expected.rich_text_body.circle_ios_fallback_text = got.rich_text_body.circle_ios_fallback_text;
  }
  if (writers.length > 3) {
    assert.equal(got.thread_participants_preview.length, 3, `${what}: preview of at most 3`);
    const all = previewKey(writers.map((m) => person(m, 0)));
    for (const p of cmp.thread_participants_preview) assert.ok(all.some((x) => x.community_member_id === p.community_member_id), what);
    expected.thread_participants_preview = cmp.thread_participants_preview;
  }
  assert.match(String(got.sender && got.sender.user_public_uid), /^[0-9a-f]{8}$/, `${what}: sender.user_public_uid`);
  assert.deepEqual(cmp, expected, what);
  return got;
}

/**
 * Asserts got is the ChatRoom that `viewer` sees. exp: room ({id, uuid, kind}), identifier (null),
 * name (chat_room_name), description (null), showHistory (true), unread (0), viewer (member),
 * pids (Map member id -> participant id), others (members, viewer excluded), lastRead (null),
 * pinnedAt (null; true for any timestamp), lastMessage (a checker function or null).
 * chat_room_participants_count is the viewer plus others; the keys must come in the server's
 * order (chat_room_participants_count right after chat_room_show_history).
 */
function expectRoom(got, exp, what = 'room') {
  assert.ok(got && typeof got === 'object', `${what}: ${JSON.stringify(got)}`);
  assertComponent({ chat_room: got }, 'client', 'chat_room', what);
  const pid = (m) => {
    assert.ok(exp.pids.has(m.id), `${what}: participant id of member ${m.id} unknown to the test`);
    return exp.pids.get(m.id);
  };
  if (exp.pinnedAt === true) assert.match(String(got.current_participant && got.current_participant.pinned_at), ISO_MS_RE, `${what}: pinned_at`);
  if (typeof exp.lastMessage === 'function') exp.lastMessage(got.last_message);
  const byMember = (a, b) => a.community_member_id - b.community_member_id;
  const ids = [exp.viewer, ...exp.others].map((m) => m.id).sort((a, b) => a - b);
  const identifier = exp.identifier || exp.room.identifier
    || (['direct', 'group_chat'].includes(exp.room.kind) ? `${exp.room.kind}-${ids.join('-')}` : `${exp.room.kind}-${exp.room.uuid}`);
  const last = typeof exp.lastMessage === 'function' ? got.last_message : exp.lastMessage;
  const expected = {
    id: exp.room.id,
    uuid: exp.room.uuid,
    identifier,
    unread_messages_count: exp.unread || 0,
    chat_room_kind: exp.room.kind,
    chat_room_name: exp.name,
    chat_room_description: exp.description === undefined || exp.description === null ? '' : exp.description,
    chat_room_show_history: exp.showHistory === undefined ? true : exp.showHistory,
    chat_room_participants_count: exp.others.length + 1,
    other_participants_preview: exp.others.slice(0, 3).map((m) => person(m, pid(m))).sort(byMember),
    current_participant: {
      ...person(exp.viewer, pid(exp.viewer)),
      last_read_message_id: exp.lastRead === undefined ? null : exp.lastRead,
      pinned_at: exp.pinnedAt === true ? got.current_participant.pinned_at : (exp.pinnedAt || null),
    },
    ...(last ? { last_message: last } : {}),
    first_unread_message_id: got.first_unread_message_id,
    pinned_message_id: got.pinned_message_id,
  };
  if ((exp.unread || 0) === 0) assert.equal(got.first_unread_message_id, null, `${what}: first_unread_message_id`);
  else assert.ok(Number.isInteger(got.first_unread_message_id), `${what}: first_unread_message_id`);
  const cmp = {
    ...got,
    other_participants_preview: [...(got.other_participants_preview || [])].map((p) => pick(p, PERSON_KEYS)).sort(byMember),
    current_participant: pick(got.current_participant, [...PERSON_KEYS, 'last_read_message_id', 'pinned_at']),
  };
  if (exp.others.length > 3) {
    assert.equal(got.other_participants_preview.length, 3, `${what}: preview of at most 3`);
    expected.other_participants_preview = cmp.other_participants_preview;
  }
  assert.deepEqual(cmp, expected, what);
  assert.deepEqual(Object.keys(got), Object.keys(expected), `${what}: keys and their order`);
  return got;
}

/** Asserts got is the SimplifiedChatRoom {uuid, chat_room_name, chat_room_description,
 *  chat_room_show_history, pinned_message}; pinned: a checker function or null. */
function expectSimpleRoom(got, { room, name, description = null, showHistory = true, pinned = null }, what = 'simple room') {
  if (typeof pinned === 'function') pinned(got.pinned_message);
  assert.deepEqual(got, {
    uuid: room.uuid, chat_room_name: name, chat_room_description: description === null ? '' : description,
    chat_room_show_history: showHistory,
    pinned_message: typeof pinned === 'function' ? got.pinned_message : pinned,
  }, what);
  return got;
}

/** Map member id -> participant id of a room, from GET chat_room_participants as `member`. */
async function participantIds(server, member, room) {
  const body = await ok(server, member, 'GET', `/messages/${room.uuid}/chat_room_participants?per_page=100`);
  return new Map(body.records.map((p) => [p.community_member_id, p.id]));
}

/** The signed id of a member (what a mention names it by), from the admin API. */
async function sgidOf(server, member) {
  const r = await api(server, 'GET', `/api/admin/v2/community_members/${member.id}`);
  assert.equal(r.status, 200, r.body);
  return r.json().sgid;
}

/** Asserts a 400 in Circle's error shape that names `field` (whatever the problem). */
function assertFieldError(r, field, what = '') {
  assert.equal(r.status, 400, `${what}: status; body ${r.body}`);
  const b = r.json();
  assert.equal(b.success, false, what);
  assert.deepEqual(Object.keys(b.error_details), [field], `${what}: ${r.body}`);
  assert.ok(Array.isArray(b.error_details[field]) && b.error_details[field].length === 1, what);
  assert.equal(b.message, `${field} ${b.error_details[field][0]}`, what);
}

/** Sends a message as member in room; resolves with the 202 body. */
function send(server, member, room, fields) {
  return ok(server, member, 'POST', `/messages/${room.uuid}/chat_room_messages`, fields, 202);
}

module.exports = {
  V1, ISO_MS_RE, UUID_RE, errorBody, fieldError, streams, chatMember, call, ok, unwrapRoom, okRoom, assertError, ChatSocket,
  settle, summary, assertStreams, richDoc, richBody, person, expectMessage, expectRoom, expectSimpleRoom,
  participantIds, send, sgidOf, assertFieldError,
};
