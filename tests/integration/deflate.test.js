// permessage-deflate (RFC 7692, SPEC 6; docs/protocol.md "Compression"): what the 101 answers
// to each kind of offer and with --no-deflate; node `ws` clients with and without deflate on one
// stream receive identical messages, and on the wire large broadcast frames arrive compressed
// (RSV1, the same bytes for every subscriber) and small ones plain; one compression per broadcast
// however many deflate subscribers (cabled_deflate_frames_total); @rails/actioncable over a
// deflate socket end to end; compressed commands from the client (whole, fragmented, with and
// without context takeover, and the inflate state given back without it: cabled_inflate_bytes);
// and the failures: bad compressed data closes 1007, a bomb closes 1009 at --max-message-size of
// inflated bytes without the server's memory growing, RSV1 on a control frame, a continuation, or
// without negotiation closes 1002.

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const zlib = require('node:zlib');
const WebSocket = require('ws');
const { startServer, stopAll, ORIGIN } = require('./lib/server');
const { request, publish } = require('./lib/http');
const { RawClient, OP } = require('./lib/wire');
const { CableClient, closeAll, ident, frames, isPing } = require('./lib/clients');

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MAX_MESSAGE = 65536;

/** A client's compressed message payload: raw deflate, sync flush, tail removed (7.2.1). */
function deflate(text, opts = {}) {
  const z = zlib.deflateRawSync(Buffer.from(text, 'utf8'), { finishFlush: zlib.constants.Z_SYNC_FLUSH, ...opts });
  assert.deepEqual(z.subarray(-4), TAIL);
  return z.subarray(0, -4);
}

/** What a compressed server frame says. */
const inflate = (payload, windowBits = 15) => zlib.inflateRawSync(Buffer.concat([payload, TAIL]),
  { windowBits, finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('utf8');

/** A metric's value from GET /metrics (0 when absent). */
async function metric(server, name) {
  const text = (await request(server.port, { path: '/metrics' })).body;
  const m = new RegExp(`^cabled_${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Resident memory of the server process, in KiB. */
function rssKiB(server) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'));
  return Number(m[1]);
}

/** A broadcast message of about n bytes of chat text (compressible, as chat is). */
function chatData(n, seq = 1) {
  const words = 'hello there how are you doing today the room is busy again';
  let body = '';
  while (body.length < n) body += words + ' ';
  return { event: 'newMessage', data: { id: seq, chat_room_uuid: 'a0b1c2', body: body.slice(0, n), sender: { id: 1, name: 'Ada Lovelace' } } };
}

describe('permessage-deflate', () => {
  let server;
  let noDeflate;
  let raws = [];
  let clients = [];
  const notif = ident({ channel: 'NotificationChannel', community_member_id: 1 });
  const stream = 'notification-channel-1';

  before(async () => {
    [server, noDeflate] = await Promise.all([
      startServer({ members: 2, args: ['--threads', '1', '--max-message-size', String(MAX_MESSAGE)] }),
      startServer({ members: 1, args: ['--no-deflate'] }),
    ]);
  });
  afterEach(() => {
    for (const r of raws) r.destroy();
    closeAll(clients);
    raws = [];
    clients = [];
  });
  after(stopAll);

  /** A raw socket upgraded with the given Sec-WebSocket-Extensions (null: none), welcomed. */
  async function raw(extensions, { srv = server, member = 1 } = {}) {
    const r = await RawClient.connect(srv.port);
    raws.push(r);
    const headers = extensions === null ? {} : { 'Sec-WebSocket-Extensions': extensions };
    const head = await r.upgrade({ origin: ORIGIN, token: srv.token(member), protocols: ['actioncable-v1-json'], headers });
    assert.equal(head.status, 101, head.raw);
    await r.next((f) => f.opcode === OP.TEXT && f.text.startsWith('{"type":"welcome"'), 5000, 'the welcome');
    return r;
  }

  /** A `ws` client (perMessageDeflate as given), welcomed and subscribed to member 1's notifications. */
  async function wsClient(perMessageDeflate, srv = server) {
    const c = await CableClient.connectWelcomed(srv.wsUrl, { token: srv.token(1), wsOptions: { perMessageDeflate } });
    clients.push(c);
    assert.equal(await c.subscribe(notif), 'confirm');
    return c;
  }

  async function rawSubscribe(r, id = notif, opts = {}) {
    const cmd = frames.subscribe(id);
    if (opts.compressed) r.sendFrame({ opcode: OP.TEXT, rsv: 4, payload: deflate(cmd) });
    else r.sendText(cmd);
    const f = await r.next((x) => x.opcode === OP.TEXT && !isPing(x.text) && x.rsv === 0, 5000, 'the confirmation');
    assert.equal(f.text, frames.confirm(id));
  }

  describe('negotiation', () => {
    const cases = [
      ['permessage-deflate', 'permessage-deflate; server_no_context_takeover'],
      ['permessage-deflate; client_max_window_bits', 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10'],
      ['permessage-deflate; client_max_window_bits=9; client_no_context_takeover',
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9'],
      ['permessage-deflate; server_max_window_bits="12"', 'permessage-deflate; server_no_context_takeover; server_max_window_bits=12'],
      // The first offer is declined (a parameter twice, a bad value, an unknown one, a window of
      // 8 for the server), the next one accepted.
      ['permessage-deflate; client_no_context_takeover; client_no_context_takeover, permessage-deflate',
        'permessage-deflate; server_no_context_takeover'],
      ['permessage-deflate; server_max_window_bits=16, permessage-deflate; server_max_window_bits=09, permessage-deflate; server_no_context_takeover',
        'permessage-deflate; server_no_context_takeover'],
      ['permessage-deflate; mystery=1, x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=15',
        'permessage-deflate; server_no_context_takeover; client_max_window_bits=10'],
      ['permessage-deflate; server_max_window_bits=8, permessage-deflate', 'permessage-deflate; server_no_context_takeover'],
      // Nothing acceptable: no extension.
      ['permessage-deflate; server_max_window_bits', null],
      ['permessage-deflate; client_max_window_bits=7', null],
      ['permessage-deflate; server_no_context_takeover=1', null],
      ['x-webkit-deflate-frame', null],
      ['permessage-deflate; "broken', null],
    ];
    for (const [offer, answer] of cases) {
      it(`${JSON.stringify(offer)} -> ${JSON.stringify(answer)}`, async () => {
        const r = await RawClient.connect(server.port);
        raws.push(r);
        const head = await r.upgrade({ origin: ORIGIN, token: server.token(1), headers: { 'Sec-WebSocket-Extensions': offer } });
        assert.equal(head.status, 101, head.raw);
        assert.equal(head.headers['sec-websocket-extensions'], answer === null ? undefined : answer, head.raw);
      });
    }

    it('reads every Sec-WebSocket-Extensions header as one list', async () => {
      const r = await RawClient.connect(server.port);
      raws.push(r);
      const text = RawClient.requestText({ origin: ORIGIN, token: server.token(1) })
        .replace(/\r\n\r\n$/, '\r\nSec-WebSocket-Extensions: permessage-deflate; mystery\r\n' +
          'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n\r\n');
      r.write(Buffer.from(text, 'latin1'));
      await r.until(() => r.head !== null, 5000, 'the head');
      assert.equal(r.head.headers['sec-websocket-extensions'],
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    });

    it('ws negotiates it by default; --no-deflate answers no extension at all', async () => {
      const on = await wsClient(true);
      assert.equal(on.ws.extensions, 'permessage-deflate');
      assert.equal(on.ws._extensions['permessage-deflate'].params.server_no_context_takeover, true);
      const off = await wsClient(true, noDeflate);
      assert.equal(off.ws.extensions, '');
      const r = await RawClient.connect(noDeflate.port);
      raws.push(r);
      const head = await r.upgrade({ origin: ORIGIN, token: noDeflate.token(1), headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });
      assert.equal(head.status, 101);
      assert.equal(head.headers['sec-websocket-extensions'], undefined, head.raw);
    });
  });

  describe('broadcasts', () => {
    it('deflate and plain `ws` clients on one stream receive identical messages', async () => {
      const zipped = await wsClient(true);
      const plain = await wsClient(false);
      assert.equal(plain.ws.extensions, '');
      const sent = [];
      for (const n of [10, 200, 255, 256, 300, 2000, 20000]) {
        const data = chatData(n, n);
        sent.push(data);
        await publish(server, { stream, data });
      }
      const want = sent.map((d) => frames.data(notif, JSON.stringify(d)));
      for (const c of [zipped, plain]) {
        for (const w of want) assert.equal(await c.expect((s) => !isPing(s)), w);
        assert.deepEqual(c.nonPings(), []);
      }
    });

    it('on the wire: large frames arrive compressed with RSV1, the same bytes for every subscriber; small ones plain', async () => {
      const a = await raw('permessage-deflate; client_max_window_bits');
      const b = await raw('permessage-deflate');
      const p = await raw(null);
      for (const r of [a, b, p]) await rawSubscribe(r);
      const small = { event: 'tiny', data: { id: 1 } };
      const large = chatData(3000);
      await publish(server, { stream, data: small });
      await publish(server, { stream, data: large });
      const smallText = frames.data(notif, JSON.stringify(small));
      const largeText = frames.data(notif, JSON.stringify(large));
      assert.ok(Buffer.byteLength(smallText) < 256 && Buffer.byteLength(largeText) > 256);
      const got = [];
      for (const r of [a, b, p]) {
        const f1 = await r.next((f) => f.opcode === OP.TEXT && !isPing(f.text), 5000, 'the small broadcast');
        const f2 = await r.next((f) => f.opcode === OP.TEXT && !isPing(f.text), 5000, 'the large broadcast');
        assert.equal(f1.rsv, 0, 'a small frame goes uncompressed');
        assert.equal(f1.text, smallText);
        got.push(f2);
      }
      const [za, zb, zp] = got;
      assert.equal(za.rsv, 4, 'RSV1: compressed');
      assert.equal(zp.rsv, 0, 'no deflate, no RSV1');
      assert.equal(zp.text, largeText);
      assert.equal(inflate(za.payload), largeText);
      assert.ok(za.payload.length * 3 < Buffer.byteLength(largeText), `${za.payload.length} compressed bytes of ${largeText.length}`);
      assert.deepEqual(Buffer.concat([za.header, za.payload]), Buffer.concat([zb.header, zb.payload]), 'one compression, shared');
    });

    it('a client limiting server_max_window_bits gets frames compressed with that window', async () => {
      const r = await raw('permessage-deflate; server_max_window_bits=9');
      await rawSubscribe(r);
      const large = chatData(5000);
      await publish(server, { stream, data: large });
      const f = await r.next((x) => x.opcode === OP.TEXT && !isPing(x.text), 5000, 'the broadcast');
      assert.equal(f.rsv, 4);
      // A decoder with a 512-byte window reads it.
      assert.equal(inflate(f.payload, 9), frames.data(notif, JSON.stringify(large)));
    });

    it('compresses a broadcast once for all its deflate subscribers (cabled_deflate_frames_total)', async () => {
      const subs = [];
      for (let i = 0; i < 20; i++) subs.push(await wsClient(true));
      const plain = await wsClient(false);
      const before = await metric(server, 'deflate_frames_total');
      const data = chatData(4000);
      await publish(server, { stream, data });
      const want = frames.data(notif, JSON.stringify(data));
      for (const c of [...subs, plain]) assert.equal(await c.expect((s) => !isPing(s)), want);
      assert.equal(await metric(server, 'deflate_frames_total') - before, 1, 'one compression for 20 subscribers');
    });
  });

  describe('@rails/actioncable over a deflate socket', () => {
    it('subscribes, receives a large broadcast and performs, with ws deflate on', async () => {
      const sockets = [];
      class DeflateWebSocket extends WebSocket {
        constructor(url, protocols) {
          super(url, protocols, { headers: { Origin: ORIGIN }, perMessageDeflate: { threshold: 0 } });
          sockets.push(this);
        }
      }
      const savedWS = globalThis.WebSocket;
      globalThis.WebSocket = DeflateWebSocket;
      if (typeof globalThis.addEventListener !== 'function') globalThis.addEventListener = () => {};
      if (typeof globalThis.removeEventListener !== 'function') globalThis.removeEventListener = () => {};
      const ActionCable = require('@rails/actioncable');
      const saved = ActionCable.adapters.WebSocket;
      ActionCable.adapters.WebSocket = DeflateWebSocket;
      const consumer = ActionCable.createConsumer(`${server.wsUrl}?token=${server.token(1)}`);
      try {
        const received = [];
        let connected;
        const isConnected = new Promise((resolve) => { connected = resolve; });
        const sub = consumer.subscriptions.create({ channel: 'NotificationChannel', community_member_id: 1 }, {
          connected() { connected(); },
          received(d) { received.push(d); },
        });
        await isConnected;
        assert.equal(sockets[0].extensions, 'permessage-deflate');
        const data = chatData(3000);
        await publish(server, { stream, data });
        const t0 = Date.now();
        while (!received.length && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(received, [data]);
        // A perform goes out compressed (threshold 0) and reaches the channel.
        sub.perform('speak_compressed', { text: 'x'.repeat(100) });
        const t1 = Date.now();
        while (!/unable to process NotificationChannel#speak_compressed/.test(server.logTail(200)) && Date.now() - t1 < 5000) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.match(server.logTail(200), /unable to process NotificationChannel#speak_compressed/);
        assert.equal(sockets.length, 1, 'no reconnect');
      } finally {
        consumer.disconnect();
        for (const s of sockets) s.terminate();
        ActionCable.adapters.WebSocket = saved;
        globalThis.WebSocket = savedWS;
      }
    });
  });

  describe('compressed commands from the client', () => {
    it('ws with threshold 0 compresses every command: subscribe, message and unsubscribe work', async () => {
      const c = await wsClient({ threshold: 0 });
      c.send({ command: 'message', identifier: notif, data: JSON.stringify({ action: 'wave_zipped' }) });
      await c.barrier();
      assert.match(server.logTail(200), /unable to process NotificationChannel#wave_zipped/);
      c.send(frames.unsubscribe(notif));
      await c.barrier();
      await publish(server, { stream, data: { n: 1 } });
      await c.barrier();
      assert.deepEqual(c.nonPings(), []);
    });

    it('whole and fragmented compressed messages, the context kept across messages', async () => {
      const r = await raw('permessage-deflate; client_max_window_bits');
      // One deflate stream for every message, as a client keeping its context writes it.
      const z = zlib.createDeflateRaw({ windowBits: 10 });
      const next = (text) => new Promise((resolve) => {
        const chunks = [];
        const on = (d) => chunks.push(d);
        z.on('data', on);
        z.write(Buffer.from(text, 'utf8'));
        z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          z.off('data', on);
          const all = Buffer.concat(chunks);
          resolve(all.subarray(0, all.length - 4));
        });
      });
      const first = await next(frames.subscribe(notif));
      r.sendFrame({ opcode: OP.TEXT, rsv: 4, payload: first });
      assert.equal((await r.nextText(frames.confirm(notif))).rsv, 0);
      // The second subscribe refers back to the first (context takeover) and comes in three
      // fragments: RSV1 on the first only.
      const other = ident({ channel: 'ChatRoomChannel', community_member_id: 1 });
      const second = await next(frames.subscribe(other));
      assert.ok(second.length < Buffer.byteLength(frames.subscribe(other)));
      const cut = [0, 3, 7, second.length];
      r.sendFrame({ opcode: OP.TEXT, rsv: 4, fin: false, payload: second.subarray(cut[0], cut[1]) });
      r.sendFrame({ opcode: OP.PING, payload: 'between' });
      r.sendFrame({ opcode: OP.CONT, fin: false, payload: second.subarray(cut[1], cut[2]) });
      r.sendFrame({ opcode: OP.CONT, payload: second.subarray(cut[2], cut[3]) });
      await r.next((f) => f.opcode === OP.PONG && f.text === 'between', 5000, 'the pong');
      await r.nextText(frames.confirm(other));
      // A plain message in between is fine too.
      r.sendText(frames.unsubscribe(other));
      const third = await next(frames.unsubscribe(notif));
      r.sendFrame({ opcode: OP.TEXT, rsv: 4, payload: third });
      await publish(server, { stream, data: { n: 2 } });
      r.sendText(frames.subscribe(ident({ channel: 'NoSuchChannel' })));
      await r.nextText(frames.reject(ident({ channel: 'NoSuchChannel' })));
      assert.deepEqual(r.nonPings().filter((f) => f.opcode === OP.TEXT), []);
      z.close();
    });

    it('keeps the inflate state with context takeover, gives it back without (cabled_inflate_bytes)', async () => {
      const base = await metric(server, 'inflate_bytes');
      const keep = await raw('permessage-deflate; client_max_window_bits');
      await rawSubscribe(keep, notif, { compressed: true });
      const held = await metric(server, 'inflate_bytes') - base;
      // zlib's inflate state (about 7 KiB) and a 1 KiB window: client_max_window_bits=10.
      assert.ok(held > 7000 && held < 10000, `held ${held} bytes`);
      const drop = await raw('permessage-deflate; client_max_window_bits; client_no_context_takeover');
      await rawSubscribe(drop, notif, { compressed: true });
      await rawSubscribe(drop, ident({ channel: 'ChatRoomChannel', community_member_id: 1 }), { compressed: true });
      assert.equal(await metric(server, 'inflate_bytes') - base, held, 'nothing kept without context takeover');
      keep.destroy();
      drop.destroy();
      const t0 = Date.now();
      while (await metric(server, 'inflate_bytes') !== base && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await metric(server, 'inflate_bytes'), base, 'freed with the connection');
    });
  });

  describe('failures', () => {
    it('bad compressed data closes with 1007', async () => {
      const r = await raw('permessage-deflate');
      r.sendFrame({ opcode: OP.TEXT, rsv: 4, payload: Buffer.from([0xff, 0xfe, 0xfd, 0xfc, 0x00, 0x01]) });
      const c = await r.nextClose();
      assert.equal(c.code, 1007);
      assert.equal(c.reason, 'Invalid compressed data');
    });

    it('compressed bytes that inflate to invalid UTF-8 close with 1007', async () => {
      const r = await raw('permessage-deflate');
      r.sendFrame({ opcode: OP.TEXT, rsv: 4, payload: zlib.deflateRawSync(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4) });
      assert.equal((await r.nextClose()).code, 1007);
    });

    it('a bomb closes with 1009 at --max-message-size of inflated bytes, and memory stays put', async () => {
      const before = rssKiB(server);
      for (let i = 0; i < 4; i++) {
        const r = await raw('permessage-deflate');
        // 64 MiB of zeros compress to about 64 KiB; the first 64 KiB + 1 inflated end it.
        const bomb = zlib.deflateRawSync(Buffer.alloc(64 << 20, 0x20), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
        assert.ok(bomb.length < MAX_MESSAGE, `${bomb.length} bytes on the wire`);
        if (i % 2 === 0) {
          r.sendFrame({ opcode: OP.TEXT, rsv: 4, payload: bomb });
        } else {
          // In fragments, each within the limit, their sum too.
          const half = bomb.length >> 1;
          r.sendFrame({ opcode: OP.TEXT, rsv: 4, fin: false, payload: bomb.subarray(0, half) });
          r.sendFrame({ opcode: OP.CONT, payload: bomb.subarray(half) });
        }
        const c = await r.nextClose();
        assert.equal(c.code, 1009);
      }
      const grown = rssKiB(server) - before;
      assert.ok(grown < 16 * 1024, `the server grew by ${grown} KiB`);
    });

    it('compressed fragments over --max-message-size on the wire close with 1009 from the header', async () => {
      const r = await raw('permessage-deflate');
      const part = deflate('{"command":"subscribe"');
      r.sendFrame({ opcode: OP.TEXT, rsv: 4, fin: false, payload: part });
      // Only the header of this one needs to arrive: its length alone passes the limit.
      r.sendFrame({ opcode: OP.CONT, fin: true, payload: Buffer.alloc(MAX_MESSAGE) });
      assert.equal((await r.nextClose()).code, 1009);
    });

    it('RSV1 on a control frame, on a continuation, or without negotiation closes with 1002', async () => {
      const a = await raw('permessage-deflate');
      a.sendFrame({ opcode: OP.PING, rsv: 4, payload: 'x' });
      assert.equal((await a.nextClose()).code, 1002);

      const b = await raw('permessage-deflate');
      b.sendFrame({ opcode: OP.TEXT, rsv: 4, fin: false, payload: deflate('{"command":') });
      b.sendFrame({ opcode: OP.CONT, rsv: 4, payload: deflate('"x"}') });
      assert.equal((await b.nextClose()).code, 1002);

      const c = await raw(null);
      c.sendFrame({ opcode: OP.TEXT, rsv: 4, payload: deflate(frames.subscribe(notif)) });
      assert.equal((await c.nextClose()).code, 1002);

      const d = await raw('permessage-deflate', { srv: noDeflate });
      d.sendFrame({ opcode: OP.TEXT, rsv: 4, payload: deflate(frames.subscribe(notif)) });
      assert.equal((await d.nextClose()).code, 1002);

      const e = await raw('permessage-deflate');
      e.sendFrame({ opcode: OP.TEXT, rsv: 2, payload: 'x' });
      assert.equal((await e.nextClose()).code, 1002);
    });
  });
});
