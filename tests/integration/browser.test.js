// The demo chat page in a real browser: headless Chromium (Debian's package) driven over the
// DevTools protocol (lib/browser.js) opens `cabled --demo` at /?member=1, and the page, through
// the official @rails/actioncable client, shows what happens elsewhere as it happens:
//   - a message posted through the REST API by another member appears, then its edit, then its
//     deletion;
//   - a new room created by another member appears in the room list, its unread count grows with
//     a message there and drops to 0 once the page opens it (chatRoomRead);
//   - a notification from the host application appears with the new-notifications count;
// and a message typed into the page and sent reaches a plain `ws` subscriber of the room. The
// page's socket agrees on permessage-deflate (its 101, seen through the DevTools Network domain).
// The same page also runs over TLS: `cabled --demo --tls-cert …` with a certificate from a test
// PKI (lib/tls.js), which Chromium trusts by its public key (--ignore-certificate-errors-spki-list:
// no CA is installed anywhere); the page loads from https://, its client connects to wss://, and a
// message posted through the REST API over HTTPS appears.
//
// Skipped, loudly, when Chromium is not installed (scripts/install-deps.sh installs it).

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { request, api } = require('./lib/http');
const { CableClient, ident } = require('./lib/clients');
const browser = require('./lib/browser');
const { makePki } = require('./lib/tls');

const skip = browser.available() ? false
  : `${browser.CHROMIUM} not found: apt-get install chromium (scripts/install-deps.sh does)`;
if (skip) console.log(`# SKIP browser tests: ${skip}`);

async function demoToken(server, member) {
  const r = await request(server.port, { method: 'POST', path: '/demo/token', body: JSON.stringify({ community_member_id: member }) });
  assert.equal(r.status, 200, r.body);
  return r.json().access_token;
}

function asMember(server, token, method, path, body) {
  return request(server.port, {
    method, path, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  });
}

const bodies = 'JSON.stringify([...document.querySelectorAll("#messages .message .body")].map((e) => e.textContent))';

describe('the demo page in headless Chromium', { skip, timeout: 90000 }, () => {
  let server, chrome, page, room;
  const clients = [];

  before(async () => {
    server = await startServer({ origins: [], args: ['--demo'], single: true });
    chrome = await browser.launch();
    page = await chrome.newPage();
    const token = await demoToken(server, 1);
    const rooms = (await asMember(server, token, 'GET', '/api/headless/v1/messages')).json();
    room = rooms.records.find((r) => r.chat_room_name === 'Welcome');
    assert.ok(room, 'the demo has its Welcome room');
  });

  after(async () => {
    for (const c of clients) c.terminate();
    if (chrome) await chrome.close();
    await stopAll();
  });

  it('opens as member 1, connected, with the Welcome room and its history', async () => {
    await page.send('Network.enable');
    await page.goto(`${server.httpUrl}/?member=1`);
    await page.waitFor(`document.body.dataset.status === "connected" && document.body.dataset.roomSubscribed === ${JSON.stringify(room.uuid)}`,
      { what: 'the page connected and subscribed to the Welcome room' });
    // Chromium offered permessage-deflate and the socket agreed on it.
    const handshakes = page.webSocketResponses.filter((r) => r.status === 101);
    assert.ok(handshakes.length >= 1, 'the page opened a WebSocket');
    const ext = Object.entries(handshakes[0].headers).find(([k]) => k.toLowerCase() === 'sec-websocket-extensions');
    assert.match(ext ? ext[1] : '', /^permessage-deflate; server_no_context_takeover\b/, JSON.stringify(handshakes[0].headers));
    const shown = JSON.parse(await page.evaluate(bodies));
    assert.ok(shown.some((b) => b.startsWith('Welcome to cabled!')), `history shown: ${shown}`);
    assert.equal(await page.evaluate('document.getElementById("room-name").textContent'), 'Welcome');
  });

  it('shows a message posted through the REST API, then its edit and its deletion', async () => {
    const grace = await demoToken(server, 2);
    const text = `Posted through REST ${Date.now()}`;
    const sent = await asMember(server, grace, 'POST', `/api/headless/v1/messages/${room.uuid}/chat_room_messages`, { body: text });
    assert.equal(sent.status, 202, sent.body);
    const id = sent.json().id;
    await page.waitFor(`${bodies}.includes(${JSON.stringify(JSON.stringify(text))})`, { what: `"${text}" on the page` });

    const edited = `${text} (changed)`;
    const put = await asMember(server, grace, 'PUT', `/api/headless/v1/messages/${room.uuid}/chat_room_messages/${id}`, { body: edited });
    assert.equal(put.status, 200, put.body);
    await page.waitFor(`(() => { const m = document.querySelector('#messages [data-id="${id}"]');
      return m && m.querySelector('.body').textContent === ${JSON.stringify(edited)} && m.querySelector('.edited').textContent === '(edited)'; })()`,
    { what: 'the edit on the page' });

    const del = await asMember(server, grace, 'DELETE', `/api/headless/v1/messages/${room.uuid}/chat_room_messages/${id}`);
    assert.ok(del.status === 200 || del.status === 204, del.body);
    await page.waitFor(`!document.querySelector('#messages [data-id="${id}"]')`, { what: 'the message gone from the page' });
  });

  it('shows a new room, its unread count, and the count read once opened', async () => {
    const grace = await demoToken(server, 2);
    const created = await asMember(server, grace, 'POST', '/api/headless/v1/messages',
      { chat_room: { kind: 'group_chat', community_member_ids: [1], name: 'Side room' } });
    assert.equal(created.status, 200, created.body);
    const side = created.json().chat_room;
    const unread = `(() => { const li = document.querySelector('#rooms li[data-uuid="${side.uuid}"]');
      return li ? li.querySelector('.unread').textContent : null; })()`;
    await page.waitFor(`${unread} === "0"`, { what: 'the new room in the list' });
    for (let i = 0; i < 2; i++) {
      const r = await asMember(server, grace, 'POST', `/api/headless/v1/messages/${side.uuid}/chat_room_messages`, { body: `unread ${i}` });
      assert.equal(r.status, 202, r.body);
    }
    await page.waitFor(`${unread} === "2"`, { what: 'an unread count of 2' });
    await page.evaluate(`document.querySelector('#rooms li[data-uuid="${side.uuid}"]').click()`);
    await page.waitFor(`${unread} === "0" && document.body.dataset.roomSubscribed === "${side.uuid}"`,
      { what: 'the count back to 0 once the room is open' });
    await page.evaluate(`document.querySelector('#rooms li[data-uuid="${room.uuid}"]').click()`);
    await page.waitFor(`document.body.dataset.roomSubscribed === "${room.uuid}"`, { what: 'the Welcome room open again' });
  });

  it('shows a notification and the new-notifications count', async () => {
    const before = Number(await page.evaluate('document.getElementById("notification-count").textContent'));
    const r = await api(server, 'POST', '/api/admin/v2/notifications', {
      community_member_id: 1, notifiable_title: 'Quarterly report', actor_name: 'Host app', action: 'comment',
      display_action: 'commented on',
    });
    assert.equal(r.status, 201, r.body);
    await page.waitFor(`[...document.querySelectorAll('#notifications li')].some((li) => li.textContent.includes('Quarterly report'))`,
      { what: 'the notification in the list' });
    await page.waitFor(`document.getElementById("notification-count").textContent === "${before + 1}"`,
      { what: `a count of ${before + 1}` });
  });

  it('sends a message typed into the page, which a ws subscriber of the room receives', async () => {
    const alan = await demoToken(server, 3);
    const sub = await CableClient.connectWelcomed(server.wsUrl, { token: alan, origin: server.httpUrl });
    clients.push(sub);
    const id = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
    assert.equal(await sub.subscribe(id), 'confirm');
    const text = `Typed in the browser ${Date.now()}`;
    await page.evaluate(`(() => { document.getElementById('body').value = ${JSON.stringify(text)};
      document.getElementById('composer').requestSubmit(); })()`);
    const frame = await sub.expect((s) => s.includes(JSON.stringify(text)), { timeoutMs: 10000, what: 'the typed message' });
    const { message } = JSON.parse(frame);
    assert.equal(message.event, 'newMessage');
    assert.equal(message.data.body, text);
    assert.equal(message.data.sender.community_member_id, 1);
    await page.waitFor(`${bodies}.includes(${JSON.stringify(JSON.stringify(text))})`, { what: 'the sent message on the page too' });
    assert.deepEqual(page.log.filter((l) => /exception|error/i.test(l)), [], 'the page logged no error');
  });
});

describe('the demo page over https:// and wss:// in headless Chromium', { skip, timeout: 90000 }, () => {
  let server, chrome, page, pki;

  before(async () => {
    pki = makePki();
    const cert = pki.serverCert('chromium');
    server = await startServer({ origins: [], args: ['--demo'], single: true, tls: cert });
    chrome = await browser.launch([`--ignore-certificate-errors-spki-list=${pki.spki(cert.cert)}`]);
    page = await chrome.newPage();
  });

  after(async () => {
    if (chrome) await chrome.close();
    await stopAll();
    if (pki) pki.cleanup();
  });

  it('loads from https://, connects its client to wss:// and shows a message posted over HTTPS', async () => {
    assert.match(server.httpUrl, /^https:\/\//);
    await page.goto(`${server.httpUrl}/?member=1`);
    assert.equal(await page.evaluate('location.protocol'), 'https:');
    await page.waitFor('document.body.dataset.status === "connected" && !!document.body.dataset.roomSubscribed',
      { what: 'the page connected over wss:// and subscribed to its room' });
    const t = await request(server.port, { method: 'POST', path: '/demo/token', body: JSON.stringify({ community_member_id: 2 }), ca: server.ca });
    assert.equal(t.status, 200, t.body);
    const grace = t.json().access_token;
    const rooms = (await request(server.port, { path: '/api/headless/v1/messages', headers: { Authorization: `Bearer ${grace}` }, ca: server.ca })).json();
    const room = rooms.records.find((r) => r.chat_room_name === 'Welcome');
    const text = `Posted over HTTPS ${Date.now()}`;
    const sent = await request(server.port, {
      method: 'POST', path: `/api/headless/v1/messages/${room.uuid}/chat_room_messages`, ca: server.ca,
      headers: { Authorization: `Bearer ${grace}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ body: text }),
    });
    assert.equal(sent.status, 202, sent.body);
    await page.waitFor(`${bodies}.includes(${JSON.stringify(JSON.stringify(text))})`, { what: `"${text}" on the page` });
    const log = server.stderr;
    assert.match(log, /route=\/cable duration_ms|path="\/cable\?token=\[FILTERED\]" status=101/, 'the page upgraded on /cable');
  });
});
