// The demo chat page. One member at a time: its rooms with their unread counts, the open room's
// history, a composer, and its notifications. Everything it changes goes through the REST API
// (/api/headless/v1/...) with the member's access token; everything it shows live arrives through
// the official Action Cable client on three channels:
//
//   ChatRoomChannel       the member's rooms: newMessage (unread counts), chatRoomRead, room changes
//   Chats::RoomChannel    the open room: newMessage, updatedMessage, deletedMessage, chatRoomUpdated
//   NotificationChannel   newNotification and the new-notifications count
//
// The demo-only routes of `cabled --demo` give the page its members and their tokens
// (GET /demo/members, POST /demo/token). `/?member=2` signs in as member 2 at once.
// The page's state is mirrored in data- attributes of <body> (status, member, room) for tests.

import { createConsumer } from '/vendor/actioncable.esm.js';

const $ = (id) => document.getElementById(id);
const api = '/api/headless/v1';

const state = {
  member: null,       // { community_member_id, name }
  token: null,
  consumer: null,
  rooms: new Map(),   // uuid -> ChatRoom
  open: null,         // the open room (ChatRoom)
  roomSub: null,      // its Chats::RoomChannel subscription
};

// ---- REST ----------------------------------------------------------------------------------

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${state.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.message || text}`);
  return json;
}

async function signIn(memberId) {
  const res = await fetch('/demo/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ community_member_id: memberId }),
  });
  if (!res.ok) throw new Error(`cannot sign in as member ${memberId}: ${res.status}`);
  return (await res.json()).access_token;
}

// ---- rendering ---------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const c of children) node.append(c);
  return node;
}

function setStatus(status, text) {
  document.body.dataset.status = status;
  $('status').textContent = text;
}

function renderRooms() {
  const list = $('rooms');
  list.replaceChildren();
  for (const room of state.rooms.values()) {
    const unread = room.unread_messages_count || 0;
    list.append(el('li', {
      className: state.open && state.open.uuid === room.uuid ? 'open' : '',
      dataset: { uuid: room.uuid },
      onclick: () => openRoom(room.uuid),
    }, el('span', { className: 'name', textContent: room.chat_room_name || 'Direct chat' }),
    el('span', { className: 'badge unread', textContent: String(unread), dataset: { count: String(unread) } })));
  }
}

function renderMessage(m) {
  const mine = m.sender && m.sender.community_member_id === state.member.community_member_id;
  const actions = el('span', { className: 'actions' });
  if (mine) {
    actions.append(
      el('button', { type: 'button', textContent: 'edit', onclick: () => editMessage(m) }),
      el('button', { type: 'button', textContent: 'delete', onclick: () => deleteMessage(m) }));
  }
  const replies = m.replies_count ? `${m.replies_count} ${m.replies_count === 1 ? 'reply' : 'replies'}` : '';
  return el('li', { className: `message${mine ? ' mine' : ''}`, dataset: { id: String(m.id) } },
    el('div', { className: 'meta' },
      el('span', { className: 'sender', textContent: m.sender ? m.sender.name : 'unknown' }),
      el('time', { textContent: new Date(m.created_at).toLocaleTimeString() }),
      el('span', { className: 'edited', textContent: m.edited_at ? '(edited)' : '' }),
      el('span', { className: 'replies', textContent: replies }),
      actions),
    el('div', { className: 'body', textContent: m.body }));
}

function upsertMessage(m) {
  const list = $('messages');
  const old = list.querySelector(`[data-id="${m.id}"]`);
  const node = renderMessage(m);
  if (old) old.replaceWith(node);
  else list.append(node);
  node.scrollIntoView({ block: 'end' });
}

function renderNotification(n) {
  return el('li', { className: n.read_at ? '' : 'unread', dataset: { id: String(n.id) } },
    `${n.actor_name || 'Someone'} ${n.display_action || n.action}${n.notifiable_title ? `: ${n.notifiable_title}` : ''}`);
}

function setNotificationCount(count) {
  $('notification-count').textContent = String(count);
  $('notification-count').dataset.count = String(count);
}

// ---- the open room -------------------------------------------------------------------------

async function openRoom(uuid) {
  const room = state.rooms.get(uuid);
  if (!room) return;
  if (state.roomSub) state.roomSub.unsubscribe();
  state.open = room;
  delete document.body.dataset.roomSubscribed;
  document.body.dataset.room = uuid;
  $('room-name').textContent = room.chat_room_name || 'Direct chat';
  $('body').disabled = false;
  $('composer').querySelector('button').disabled = false;
  renderRooms();
  $('messages').replaceChildren();
  // Subscribed before the history is read, so nothing falls between the two: a message that
  // arrives live and is also in the history is shown once (upsertMessage matches ids).
  state.roomSub = state.consumer.subscriptions.create(
    { channel: 'Chats::RoomChannel', chat_room_id: room.id },
    {
      connected() { document.body.dataset.roomSubscribed = uuid; },
      received: onRoomEvent,
    });
  const history = await call('GET', `${api}/messages/${uuid}/chat_room_messages?previous_per_page=50`);
  const live = [...$('messages').children];
  $('messages').replaceChildren(...history.records.map(renderMessage));
  for (const node of live) {
    if (!$('messages').querySelector(`[data-id="${node.dataset.id}"]`)) $('messages').append(node);
  }
  await call('POST', `${api}/messages/${uuid}/mark_all_as_read`);
}

function onRoomEvent({ event, data }) {
  if (!state.open || data.chat_room_uuid && data.chat_room_uuid !== state.open.uuid) return;
  const list = $('messages');
  switch (event) {
  case 'newMessage':
  case 'updatedMessage':
    if (data.parent_message_id) {
      // A reply: the thread's parent shows the new count.
      const parent = list.querySelector(`[data-id="${data.parent_message_id}"] .replies`);
      if (parent && event === 'newMessage') parent.textContent = `${data.chat_thread_replies_count} replies`;
      return;
    }
    upsertMessage(data);
    if (event === 'newMessage') call('POST', `${api}/messages/${state.open.uuid}/mark_all_as_read`);
    break;
  case 'deletedMessage': {
    const node = list.querySelector(`[data-id="${data.id}"]`);
    if (node) node.remove();
    break;
  }
  case 'chatRoomUpdated':
    $('room-name').textContent = data.chat_room_name || 'Direct chat';
    break;
  default:
    break;
  }
}

async function editMessage(m) {
  const body = window.prompt('Edit the message', m.body);
  if (body === null || body === m.body) return;
  await call('PUT', `${api}/messages/${m.chat_room_uuid}/chat_room_messages/${m.id}`, { body });
}

async function deleteMessage(m) {
  await call('DELETE', `${api}/messages/${m.chat_room_uuid}/chat_room_messages/${m.id}`);
}

// "@Grace hello" mentions Grace when she is in the room: a mention node in the rich text, as
// Circle's editor sends it, which gives her a notification.
function richText(text) {
  const people = [state.open.current_participant, ...(state.open.other_participants_preview || [])]
    .filter(Boolean);
  const content = [];
  let rest = text;
  const re = /@([\p{L}\p{N}_-]+)/u;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    const who = people.find((p) => p.name && p.name.split(' ')[0].toLowerCase() === m[1].toLowerCase());
    if (!who) break;
    if (m.index) content.push({ type: 'text', text: rest.slice(0, m.index) });
    content.push({ type: 'mention', attrs: { id: who.community_member_id, label: who.name } });
    rest = rest.slice(m.index + m[0].length);
  }
  if (!content.length) return null;
  if (rest) content.push({ type: 'text', text: rest });
  return { type: 'doc', content: [{ type: 'paragraph', content }] };
}

async function send(event) {
  event.preventDefault();
  const text = $('body').value.trim();
  if (!text || !state.open) return;
  const rich = richText(text);
  await call('POST', `${api}/messages/${state.open.uuid}/chat_room_messages`,
    rich ? { rich_text_body: rich } : { body: text });
  $('body').value = '';
}

// ---- the member's streams --------------------------------------------------------------------

function onMemberRoomsEvent({ event, data }) {
  switch (event) {
  case 'newMessage': {
    const room = state.rooms.get(data.chat_room_uuid);
    if (!room) { loadRooms(); return; }
    room.last_message = data;
    const mine = data.sender && data.sender.community_member_id === state.member.community_member_id;
    const open = state.open && state.open.uuid === room.uuid;
    if (!mine && !open) room.unread_messages_count = (room.unread_messages_count || 0) + 1;
    renderRooms();
    break;
  }
  case 'chatRoomRead': {
    const room = state.rooms.get(data.chat_room_uuid);
    if (room) { room.unread_messages_count = 0; renderRooms(); }
    break;
  }
  case 'chatRoomCreated':
  case 'chatRoomUpdated':
  case 'chatRoomDeleted':
    loadRooms();
    break;
  default:
    break;
  }
}

function onNotificationEvent({ event, data }) {
  switch (event) {
  case 'newNotification':
    $('notifications').prepend(renderNotification(data));
    break;
  case 'updateNewNotificationCount':
  case 'resetNewNotificationCount':
    setNotificationCount(data.new_notifications_count);
    break;
  default:
    break;
  }
}

async function loadRooms() {
  const rooms = await call('GET', `${api}/messages?per_page=50`);
  state.rooms = new Map(rooms.records.map((r) => [r.uuid, r]));
  if (state.open && !state.rooms.has(state.open.uuid)) state.open = null;
  renderRooms();
}

async function loadNotifications() {
  const [list, count] = await Promise.all([
    call('GET', `${api}/notifications?per_page=20`),
    call('GET', `${api}/notifications/new_notifications_count`),
  ]);
  $('notifications').replaceChildren(...list.records.map(renderNotification));
  setNotificationCount(count.new_notifications_count);
}

async function choose(memberId) {
  if (state.consumer) state.consumer.disconnect();
  Object.assign(state, { consumer: null, open: null, roomSub: null, rooms: new Map() });
  delete document.body.dataset.room;
  delete document.body.dataset.roomSubscribed;
  $('messages').replaceChildren();
  const member = [...$('member').options].find((o) => o.value === String(memberId));
  if (!member) return;
  $('member').value = String(memberId);
  state.member = { community_member_id: Number(memberId), name: member.textContent };
  document.body.dataset.member = String(memberId);
  setStatus('connecting', 'connecting…');
  state.token = await signIn(Number(memberId));
  // Browsers cannot set headers on a WebSocket: the token goes in the query string.
  state.consumer = createConsumer(`/cable?token=${encodeURIComponent(state.token)}`);
  const mine = { community_member_id: state.member.community_member_id };
  state.consumer.subscriptions.create({ channel: 'ChatRoomChannel', ...mine }, {
    connected() { setStatus('connected', `connected as ${state.member.name}`); },
    disconnected() { setStatus('disconnected', 'disconnected: reconnecting…'); },
    received: onMemberRoomsEvent,
  });
  state.consumer.subscriptions.create({ channel: 'NotificationChannel', ...mine },
    { received: onNotificationEvent });
  await Promise.all([loadRooms(), loadNotifications()]);
  const first = state.rooms.keys().next();
  if (!first.done) await openRoom(first.value);
}

async function start() {
  const { members } = await (await fetch('/demo/members')).json();
  for (const m of members) {
    $('member').append(el('option', { value: String(m.community_member_id), textContent: m.name }));
  }
  $('member').addEventListener('change', (e) => e.target.value && choose(e.target.value));
  $('composer').addEventListener('submit', send);
  $('body').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('composer').requestSubmit(); }
  });
  $('mark-all-read').addEventListener('click', async () => {
    await call('POST', `${api}/notifications/mark_all_as_read`);
    for (const li of $('notifications').children) li.classList.remove('unread');
  });
  $('bell').addEventListener('click', () => call('POST', `${api}/notifications/reset_new_notifications_count`));
  const wanted = new URLSearchParams(window.location.search).get('member');
  if (wanted) await choose(wanted);
}

start().catch((e) => setStatus('error', String(e.message || e)));
