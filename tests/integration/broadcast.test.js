// POST /api/v1/broadcast and delivery (SPEC 3.1, reference §(k)): single and batch bodies, the
// exact delivered frames (data decoded and re-encoded compactly with < > & and U+2028/2029
// escaped, other non-ASCII raw, key order kept), fan-out to 1,000 separate WebSocket connections
// on one stream with each broadcast arriving exactly once and in order, the error statuses
// (401 app token, 400 bad JSON or stream, 413 body too large, 404, 405) with their JSON error
// bodies, and GET /health. Chats::RoomChannel is allowed only to a room's participants, so the
// file first creates members 1-10 and two group rooms through the admin API: one holding member 1
// for the frame tests, one holding all ten for the fan-out.

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { startServer, stopAll } = require('./lib/server');
const { request, broadcast, publish } = require('./lib/http');
const { CableClient, closeAll, ident, railsJSON, frames, isPing } = require('./lib/clients');

const MAX_BODY = 65536;

/** Asserts r is a JSON error with the given status: {"success":false,"message":...,"error_details":{}}. */
function assertError(r, status, { mentions } = {}) {
  assert.equal(r.status, status, `status (body ${r.body})`);
  assert.match(r.headers['content-type'] || '', /^application\/json\b/, 'Content-Type');
  const b = r.json();
  assert.equal(b.success, false, r.body);
  assert.equal(typeof b.message, 'string', r.body);
  assert.ok(b.message.length > 0, r.body);
  assert.deepEqual(b.error_details, {}, r.body);
  if (mentions) assert.ok(b.message.includes(mentions), `the message should name "${mentions}": ${b.message}`);
}

describe('broadcast', () => {
  let server;
  let clients = [];
  let members; // ids of members 1..10
  let roomId; // a group room of member 1, and its stream
  let roomStream;
  let fanoutRoom; // a group room of all ten members

  // Four event-loop threads whatever the machine, so the fan-out crosses threads.
  before(async () => {
    server = await startServer({ args: ['--max-body-size', String(MAX_BODY), '--threads', '4'] });
    members = await server.createMembers(10);
    assert.deepEqual(members, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'member ids in a fresh database');
    roomId = (await server.createRoom([members[0]])).id;
    roomStream = `chat-room-${roomId}-channel`;
    fanoutRoom = await server.createRoom(members);
  });
  afterEach(() => { closeAll(clients); clients = []; });
  after(stopAll);

  async function subscribed(member, params) {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(member) });
    clients.push(c);
    const id = ident(params);
    assert.equal(await c.subscribe(id), 'confirm');
    return { c, id };
  }

  describe('delivered frames', () => {
    it('delivers the reference newNotification frame byte for byte', async () => {
      const { c } = await subscribed(1, { channel: 'NotificationChannel', community_member_id: 1 });
      const r = await broadcast(server, { stream: 'notification-channel-1', data: { event: 'newNotification', data: { id: 7, title: 'Hi' } } });
      assert.equal(r.status, 202, r.body);
      assert.equal(await c.expect((s) => !isPing(s)),
        String.raw`{"identifier":"{\"channel\":\"NotificationChannel\",\"community_member_id\":1}","message":{"event":"newNotification","data":{"id":7,"title":"Hi"}}}`);
    });

    it('re-encodes the reference newMessage frame: HTML and U+2028 escaped, é and 😀 raw, numbers kept', async () => {
      const { c } = await subscribed(1, { channel: 'Chats::RoomChannel', chat_room_id: roomId });
      const data = { event: 'newMessage', data: { body: '<b>x</b> & "q" é 😀 \u2028', n: 1.5, big: 12345678901234567000, nil: null, arr: [1, 'a'] } };
      await publish(server, { stream: roomStream, data });
      const got = await c.expect((s) => !isPing(s));
      const want = String.raw`{"identifier":"{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":${roomId}}","message":{"event":"newMessage","data":{"body":"\u003cb\u003ex\u003c/b\u003e \u0026 \"q\" é 😀 \u2028","n":1.5,"big":12345678901234567000,"nil":null,"arr":[1,"a"]}}}`;
      assert.equal(got, want);
      assert.equal(Buffer.from(got).toString('hex'), Buffer.from(want).toString('hex'));
    });

    it('delivers scalar and array messages: "plain string", 42, null, [1,2], true, {}', async () => {
      const { c, id } = await subscribed(1, { channel: 'Chats::RoomChannel', chat_room_id: roomId });
      for (const [data, json] of [['plain string', '"plain string"'], [42, '42'], [null, 'null'], [[1, 2], '[1,2]'], [true, 'true'], [{}, '{}']]) {
        await publish(server, { stream: roomStream, data });
        assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, json));
      }
    });

    it('re-encodes compactly from the raw body: whitespace dropped, escapes normalised, key order kept', async () => {
      const { c, id } = await subscribed(1, { channel: 'Chats::RoomChannel', chat_room_id: roomId });
      const body = `{ "stream" : "${roomStream}" ,\n  "data" : { "z" : 1 , "a" : [ 1 , 2 ] ,` +
        ' "s" : "caf\\u00e9 \\u003c \\/ \\u2029 \\n\\t \\\\ \\u0001 \\ud83d\\ude00" , "m" : { } } }';
      const r = await broadcast(server, body);
      assert.equal(r.status, 202, r.body);
      assert.equal(await c.expect((s) => !isPing(s)),
        frames.data(id, String.raw`{"z":1,"a":[1,2],"s":"café \u003c / \u2029 \n\t \\ \u0001 😀","m":{}}`));
    });

    it('keeps numbers in their shortest form (0.1, -2, 0, 1.5)', async () => {
      const { c, id } = await subscribed(1, { channel: 'Chats::RoomChannel', chat_room_id: roomId });
      await publish(server, { stream: roomStream, data: [0.1, -2, 0, 1.5] });
      assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, '[0.1,-2,0,1.5]'));
    });

    it('railsJSON (the helper the other files use) matches the reference escaping', () => {
      assert.equal(railsJSON({ b: '<b>x</b> & "q" é 😀 \u2028\u2029' }),
        String.raw`{"b":"\u003cb\u003ex\u003c/b\u003e \u0026 \"q\" é 😀 \u2028\u2029"}`);
    });

    it('a batch delivers each item, in order per stream', async () => {
      const n = await subscribed(1, { channel: 'NotificationChannel', community_member_id: 1 });
      const r = await subscribed(1, { channel: 'Chats::RoomChannel', chat_room_id: roomId });
      const res = await broadcast(server, [
        { stream: 'notification-channel-1', data: { event: 'newNotification', data: { k: 1 } } },
        { stream: roomStream, data: { event: 'newMessage', data: { k: 2 } } },
        { stream: 'notification-channel-1', data: { event: 'updateNewNotificationCount', data: { new_notifications_count: 3 } } },
        { stream: 'nobody-listens-here', data: 0 },
      ]);
      assert.equal(res.status, 202, res.body);
      assert.equal(await n.c.expect((s) => !isPing(s)), frames.data(n.id, '{"event":"newNotification","data":{"k":1}}'));
      assert.equal(await n.c.expect((s) => !isPing(s)), frames.data(n.id, '{"event":"updateNewNotificationCount","data":{"new_notifications_count":3}}'));
      assert.equal(await r.c.expect((s) => !isPing(s)), frames.data(r.id, '{"event":"newMessage","data":{"k":2}}'));
    });

    it('answers 202 for a stream nobody subscribes to', async () => {
      const r = await broadcast(server, { stream: 'nobody-listens-here', data: { x: 1 } });
      assert.equal(r.status, 202, r.body);
    });
  });

  describe('fan-out', () => {
    it('1,000 connections on one stream each get every broadcast exactly once, in order', { timeout: 60000 }, async () => {
      const N = 1000;
      const ROUNDS = 5;
      const params = { channel: 'Chats::RoomChannel', chat_room_id: fanoutRoom.id };
      const id = ident(params);
      const tokens = members.map((m) => server.token(m));
      const all = [];
      const t0 = Date.now();
      // Open in waves of 100 so the listen backlog never overflows.
      for (let w = 0; w < N; w += 100) {
        const wave = await Promise.all(Array.from({ length: Math.min(100, N - w) }, (_, i) =>
          CableClient.connect(server.wsUrl, { token: tokens[(w + i) % tokens.length], timeoutMs: 15000 }).then((c) => {
            clients.push(c);
            c.send(frames.subscribe(id));
            return c;
          })));
        all.push(...wave);
      }
      await Promise.all(all.map((c) => c.expect(frames.confirm(id), { timeoutMs: 15000 })));
      const tConnected = Date.now();

      const stream = `chat-room-${fanoutRoom.id}-channel`;
      const sent = [];
      for (let i = 0; i < ROUNDS; i++) {
        const data = { event: 'newMessage', data: { seq: i, body: `message ${i} <${'x'.repeat(i * 100)}>` } };
        sent.push(frames.data(id, railsJSON(data)));
        await publish(server, { stream, data });
      }
      const fence = { fence: true };
      sent.push(frames.data(id, railsJSON(fence)));
      await publish(server, { stream, data: fence });
      const last = sent[sent.length - 1];
      await Promise.all(all.map((c) => c.expect(last, { timeoutMs: 15000, what: 'the fence broadcast' })));
      const tDelivered = Date.now();

      let bad = 0;
      for (const c of all) {
        const got = c.frames.map((f) => f.text).filter((s) => !isPing(s) && !s.startsWith('{"type":"welcome"') && s !== frames.confirm(id));
        if (JSON.stringify(got) !== JSON.stringify(sent)) {
          if (bad++ === 0) assert.deepEqual(got, sent, 'frames of the first client that differs');
        }
        assert.equal(c.closeInfo, null);
      }
      assert.equal(bad, 0, `${bad} of ${N} clients did not get every broadcast exactly once, in order`);
      // Shown with --test-reporter spec; useful when the suite gets slow.
      console.log(`# fan-out: ${N} connected+confirmed in ${tConnected - t0} ms, ${ROUNDS + 1} broadcasts delivered in ${tDelivered - tConnected} ms`);
    });
  });

  describe('errors and other endpoints', () => {
    const ok = { stream: 'x', data: 1 };

    it('401 without Authorization', async () => assertError(await broadcast(server, ok, { token: null }), 401));
    it('401 with a wrong app token', async () => assertError(await broadcast(server, ok, { token: 'wrong' }), 401));
    it('401 with a member access token instead of the app token',
      async () => assertError(await broadcast(server, ok, { token: server.token(1) }), 401));
    it('400 for malformed JSON', async () => assertError(await broadcast(server, '{"stream":"x",'), 400));
    it('400 for an empty body', async () => assertError(await broadcast(server, ''), 400));
    it('400 naming "stream" when it is missing', async () => assertError(await broadcast(server, { data: 1 }), 400, { mentions: 'stream' }));
    it('400 naming "stream" when it is not a string', async () => assertError(await broadcast(server, { stream: 42, data: 1 }), 400, { mentions: 'stream' }));
    it('400 when a batch item has no stream', async () => assertError(await broadcast(server, [ok, { data: 2 }]), 400, { mentions: 'stream' }));
    it('400 for a body that is neither object nor array', async () => assertError(await broadcast(server, '"just a string"'), 400));

    it(`413 for a body over --max-body-size (${MAX_BODY})`, async () => {
      const big = JSON.stringify({ stream: 'x', data: 'y'.repeat(MAX_BODY + 10) });
      assertError(await broadcast(server, big), 413);
    });

    it('accepts a body just under --max-body-size', async () => {
      const data = 'y'.repeat(MAX_BODY - 100);
      const r = await broadcast(server, { stream: 'x', data });
      assert.equal(r.status, 202, r.body);
    });

    it('405 for other methods on /api/v1/broadcast', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        assertError(await request(server.port, { method, path: '/api/v1/broadcast', headers: { Authorization: `Bearer ${server.appToken}` } }), 405);
      }
    });

    it('404 for unknown paths', async () => {
      for (const path of ['/nope', '/api/v1/broadcasts', '/api/v1/broadcast/x']) {
        assertError(await request(server.port, { path, headers: { Authorization: `Bearer ${server.appToken}` } }), 404);
      }
    });

    it('serves several broadcasts on one keep-alive connection', async () => {
      const { c, id } = await subscribed(4, { channel: 'NotificationChannel' });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const reused = [];
        for (let n = 0; n < 3; n++) {
          const r = await new Promise((resolve, reject) => {
            const body = JSON.stringify({ stream: 'notification-channel-4', data: { n } });
            const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/v1/broadcast', agent,
              headers: { Authorization: `Bearer ${server.appToken}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
            (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket })); });
            req.on('error', reject);
            req.end(body);
          });
          assert.equal(r.status, 202);
          reused.push(r.reused);
        }
        assert.deepEqual(reused, [false, true, true], 'the connection was kept alive');
      } finally {
        agent.destroy();
      }
      for (let n = 0; n < 3; n++) assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, `{"n":${n}}`));
    });

    it('answers pipelined requests in order', async () => {
      const { c, id } = await subscribed(4, { channel: 'ChatRoomChannel' });
      const post = (n, last) => {
        const body = JSON.stringify({ stream: 'chat-room-channel-4', data: { n } });
        return `POST /api/v1/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.appToken}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${last ? 'Connection: close\r\n' : ''}\r\n${body}`;
      };
      const text = post(0) + 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' + post(1) +
        'GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' + post(2, true);
      const answer = await new Promise((resolve, reject) => {
        const sock = net.connect(server.port, '127.0.0.1', () => sock.end(text));
        const chunks = [];
        sock.on('data', (d) => chunks.push(d));
        sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        sock.on('error', reject);
        sock.setTimeout(10000, () => sock.destroy(new Error(`no close in 10 s; got ${Buffer.concat(chunks)}`)));
      });
      const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      assert.deepEqual(statuses, [202, 200, 202, 404, 202], answer);
      for (let n = 0; n < 3; n++) assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, `{"n":${n}}`));
    });

    it('accepts a chunked request body', async () => {
      const { c, id } = await subscribed(4, { channel: 'Chats::CommunityMemberThreadsChannel' });
      const r = await new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/v1/broadcast', agent: false,
          headers: { Authorization: `Bearer ${server.appToken}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } },
        (res) => { const b = []; res.on('data', (d) => b.push(d)); res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(b).toString() })); });
        req.on('error', reject);
        req.write('{"stream":"chat-community-member-4-threads-channel",');
        req.write('"data":{"chunked":true}}');
        req.end();
      });
      assert.equal(r.status, 202, r.body);
      assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, '{"chunked":true}'));
    });

    it('answers "Expect: 100-continue" with 100 before the body, and 413 at once for a body over the limit', async () => {
      const { c, id } = await subscribed(4, { channel: 'ChatRoomChannel' });
      const body = JSON.stringify({ stream: 'chat-room-channel-4', data: { expect: 'continue' } });
      const head = (len) => `POST /api/v1/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.appToken}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${len}\r\nExpect: 100-continue\r\n\r\n`;
      const answer = await new Promise((resolve, reject) => {
        const sock = net.connect(server.port, '127.0.0.1', () => sock.write(head(Buffer.byteLength(body))));
        let got = '';
        sock.on('data', (d) => {
          got += d.toString('latin1');
          // The body goes only once the interim answer is in, as curl does.
          if (got === 'HTTP/1.1 100 Continue\r\n\r\n') sock.write(body);
          if (/\r\n\r\n\{.*\}$/s.test(got)) { sock.destroy(); resolve(got); }
        });
        sock.on('error', reject);
        sock.setTimeout(5000, () => sock.destroy(new Error(`no answer in 5 s; got ${JSON.stringify(got)}`)));
      });
      assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 202 /, answer);
      assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, '{"expect":"continue"}'));

      // Too large: refused from the head, with no 100 first.
      const refused = await new Promise((resolve, reject) => {
        const sock = net.connect(server.port, '127.0.0.1', () => sock.write(head(MAX_BODY * 4)));
        const chunks = [];
        sock.on('data', (d) => chunks.push(d));
        sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        sock.on('error', reject);
        sock.setTimeout(5000, () => sock.destroy(new Error('no close in 5 s')));
      });
      assert.match(refused, /^HTTP\/1\.1 413 /, refused);
    });

    it('413 for a chunked body over --max-body-size', async () => {
      const r = await new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/v1/broadcast', agent: false,
          headers: { Authorization: `Bearer ${server.appToken}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } },
        (res) => { const b = []; res.on('data', (d) => b.push(d)); res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(b).toString(), json: () => JSON.parse(Buffer.concat(b).toString()) })); });
        req.on('error', reject);
        req.write('{"stream":"x","data":"');
        for (let i = 0; i < 5; i++) req.write('z'.repeat(MAX_BODY / 4));
        req.end('"}');
      });
      assertError(r, 413);
    });

    it('GET /health is 200', async () => {
      const r = await request(server.port, { path: '/health' });
      assert.equal(r.status, 200, r.body);
    });

    it('still delivers after all the errors', async () => {
      const { c, id } = await subscribed(3, { channel: 'NotificationChannel' });
      await publish(server, { stream: 'notification-channel-3', data: { after: 'errors' } });
      assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, '{"after":"errors"}'));
    });
  });
});
