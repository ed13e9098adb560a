// Protocol edges, compared with what Rails Action Cable 6.1 does (reference/actioncable-6.1.md):
// JSON numbers beyond 64 bits inside identifiers and commands are carried verbatim, the Bearer
// scheme may be followed by more than one space (RFC 6750 §2.1, `1*SP`) on the socket and on
// the HTTP API, a request with more than one Origin header is refused at the upgrade, and a
// rich_text_body nested deeper than the limit is refused with a 400 naming the field.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { broadcast } = require('./lib/http');
const { RawClient, OP } = require('./lib/wire');
const { CableClient, closeAll, frames, WELCOME_RE } = require('./lib/clients');
const { chatMember, call, fieldError, assertError, send } = require('./lib/chat');

describe('numbers beyond 64 bits', () => {
  let server;
  let client;
  before(async () => {
    server = await startServer({ members: 1 });
    client = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
  });
  after(async () => {
    closeAll([client]);
    await stopAll();
  });

  for (const big of ['12345678901234567890', '-98765432109876543210', '1e400', '-1.5E+999', '1e-400']) {
    it(`an identifier holding ${big} as an extra member is confirmed and echoed verbatim`, async () => {
      const id = `{"channel":"NotificationChannel","community_member_id":1,"n":${big}}`;
      assert.equal(await client.subscribe(id), 'confirm');
    });

    it(`a subscribe command with an extra member ${big} is executed`, async () => {
      const id = `{"channel":"ChatRoomChannel","community_member_id":1,"extra":"${big}"}`;
      client.send(`{"command":"subscribe","identifier":${JSON.stringify(id)},"x":${big},"y":[${big}]}`);
      await client.expect(frames.confirm(id), { what: 'the confirm of a command with a big number' });
    });
  }

  for (const big of ['12345678901234567890', '1e400', '9223372036854775808']) {
    it(`a member or room id of ${big} is not allowed, and the connection carries on`, async () => {
      for (const id of [`{"channel":"NotificationChannel","community_member_id":${big}}`,
        `{"channel":"Chats::RoomChannel","chat_room_id":${big}}`]) {
        assert.equal(await client.subscribe(id), 'reject', id);
      }
      await client.barrier();
    });
  }
});

describe('Authorization: Bearer with several spaces', () => {
  let server;
  const clients = [];
  const raws = [];
  before(async () => { server = await startServer({ members: 1 }); });
  after(async () => {
    closeAll(clients);
    for (const r of raws) r.destroy();
    await stopAll();
  });

  it('opens the socket', async () => {
    for (const spaces of ['  ', '   ']) {
      const c = await RawClient.connect(server.port);
      raws.push(c);
      await c.upgrade({ origin: server.origin, headers: { Authorization: `Bearer${spaces}${server.token(1)}` } });
      assert.equal(c.head.status, 101, c.head.raw);
      const first = await c.next((f) => f.opcode === OP.TEXT, 5000, 'the first frame');
      assert.match(first.text, WELCOME_RE);
    }
  });

  it('authenticates the app token and a member token on the HTTP API', async () => {
    const r = await broadcast(server, { stream: 's', data: 1 }, { token: null, headers: { Authorization: `Bearer  ${server.appToken}` } });
    assert.equal(r.status, 202, r.body);
    const member = await chatMember(server, 'Spacey');
    const m = await call(server, member, 'GET', '/notifications/new_notifications_count', undefined,
      { token: null, headers: { Authorization: `Bearer   ${member.token}` } });
    assert.equal(m.status, 200, m.body);
  });

  it('still refuses a tab or no space at all', async () => {
    for (const value of [`Bearer\t${server.appToken}`, `Bearer${server.appToken}`]) {
      const r = await broadcast(server, { stream: 's', data: 1 }, { token: null, headers: { Authorization: value } });
      assert.equal(r.status, 401, value);
    }
  });
});

describe('more than one Origin header', () => {
  let server;
  const raws = [];
  before(async () => { server = await startServer({ members: 1 }); });
  after(async () => {
    for (const r of raws) r.destroy();
    await stopAll();
  });

  /** The upgrade request of a member with the given Origin lines, in that order. */
  function twoOrigins(origins) {
    const text = RawClient.requestText({ origin: null, token: server.token(1) });
    return text.replace(/\r\n\r\n$/, '\r\n' + origins.map((o) => `Origin: ${o}\r\n`).join('') + '\r\n');
  }

  for (const origins of [
    ['ORIGIN', 'https://evil.example'],
    ['https://evil.example', 'ORIGIN'],
    ['ORIGIN', 'ORIGIN'],
  ]) {
    it(`refuses ${origins.join(' + ')} with 403 before the upgrade`, async () => {
      const c = await RawClient.connect(server.port);
      raws.push(c);
      c.write(Buffer.from(twoOrigins(origins.map((o) => (o === 'ORIGIN' ? server.origin : o))), 'latin1'));
      await c.until(() => c.head !== null, 5000, 'the response head');
      assert.equal(c.head.status, 403, c.head.raw);
      await c.until(() => c.body.length >= Number(c.head.headers['content-length']), 5000, 'the body');
      assert.deepEqual(JSON.parse(c.body.toString('utf8')),
        { success: false, message: 'Origin not allowed', error_details: {} });
    });
  }

  it('still upgrades a request with one allowed Origin', async () => {
    const c = await RawClient.connect(server.port);
    raws.push(c);
    await c.upgrade({ origin: server.origin, token: server.token(1) });
    assert.equal(c.head.status, 101, c.head.raw);
  });
});

describe('rich_text_body depth', () => {
  let server;
  let member;
  let room;
  before(async () => {
    server = await startServer();
    member = await chatMember(server, 'Deep');
    const other = await chatMember(server, 'Other');
    room = await server.createRoom([member.id, other.id]);
  });
  after(stopAll);

  /** A document whose text sits under `levels` nested blockquotes. */
  function nested(levels) {
    let node = { type: 'text', text: 'deep' };
    for (let i = 0; i < levels; i++) node = { type: 'blockquote', content: [node] };
    return { type: 'doc', content: [node] };
  }

  it('refuses a 680-level document with 400 naming the field, as an object or a JSON string', async () => {
    for (const rich of [nested(680), JSON.stringify(nested(680)), nested(40)]) {
      const r = await call(server, member, 'POST', `/messages/${room.uuid}/chat_room_messages`, { rich_text_body: rich });
      assertError(r, 400, fieldError('rich_text_body', 'is nested too deeply'), 'a deeply nested rich_text_body');
    }
    const edit = await send(server, member, room, { body: 'to edit' });
    const r = await call(server, member, 'PUT', `/messages/${room.uuid}/chat_room_messages/${edit.id}`, { rich_text_body: nested(680) });
    assertError(r, 400, fieldError('rich_text_body', 'is nested too deeply'), 'an edit with a deeply nested rich_text_body');
  });

  it('accepts ordinary nesting (lists inside quotes)', async () => {
    const doc = nested(12);
    const sent = await send(server, member, room, { rich_text_body: doc });
    const r = await call(server, member, 'GET', `/messages/${room.uuid}/chat_room_messages/${sent.id}`);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json().rich_text_body.body, doc);
  });
});
