// RFC 6455 framing against cabled with a raw socket (lib/wire.js), after Autobahn's case list:
// ping/pong payload echo, fragmented messages with a ping between fragments, UTF-8 checks
// (1007, also across fragments), protocol errors (1002: unmasked frame, RSV bits, reserved
// opcodes, control frames over 125 bytes or fragmented, continuation without a start, a new
// message inside a fragmented one, invalid close codes), oversized messages (1009), binary frames
// (1003), the close handshake echo, a subscribe in the same packet as the upgrade request, and
// half-close: after an error close frame the server keeps reading so the frame is not lost to a
// TCP reset. Every server frame must be FIN=1, RSV=0 and unmasked; after every case a fresh
// client is still served.

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { publish } = require('./lib/http');
const { RawClient, OP, encodeFrame, closePayload, describeFrame } = require('./lib/wire');
const { frames, ident, WELCOME_RE, PING_RE } = require('./lib/clients');

const MAX_MESSAGE = 4096;
const NOTIF = ident({ channel: 'NotificationChannel', community_member_id: 1 });

describe('RFC 6455 framing', () => {
  let server;
  let raws = [];
  let barrierSeq = 0;

  before(async () => {
    server = await startServer({ args: ['--max-message-size', String(MAX_MESSAGE), '--max-body-size', String(1 << 20)], members: 8 });
  });
  afterEach(() => { for (const r of raws) r.destroy(); raws = []; });
  after(stopAll);

  /** A raw client past the upgrade; extra bytes go in the same write as the request. */
  async function open(extra, opts = {}) {
    const c = await RawClient.connect(server.port);
    raws.push(c);
    const token = opts.token || server.token(1);
    await c.upgrade({ origin: server.origin, ...opts, token }, extra);
    assert.equal(c.head.status, 101, c.head.raw);
    return c;
  }
  async function welcomed() {
    const c = await open();
    await c.next((f) => f.opcode === OP.TEXT && WELCOME_RE.test(f.text), 5000, 'welcome');
    return c;
  }
  /** Round trip through command handling: subscribe to an unknown channel, await the reject. */
  async function barrier(c) {
    const id = ident({ channel: 'NoSuchBarrierChannel', n: ++barrierSeq });
    c.sendText(frames.subscribe(id));
    await c.nextText(frames.reject(id));
  }
  /** Frames other than welcome and pings that the server sent so far. */
  const extraFrames = (c) => c.frames.filter((f) => !(f.opcode === OP.TEXT && (WELCOME_RE.test(f.text) || PING_RE.test(f.text))));
  function assertServerFrame(f) {
    assert.equal(f.fin, true, `FIN of ${describeFrame(f)}`);
    assert.equal(f.rsv, 0, `RSV of ${describeFrame(f)}`);
    assert.equal(f.masked, false, `mask bit of ${describeFrame(f)}`);
  }
  /** Waits for the server's close frame with `code`, answers it and waits for the server's FIN.
   *  No frame but welcome/pings may come before it, none after it, and no TCP reset. */
  async function expectErrorClose(c, code) {
    const close = await c.nextClose();
    assert.equal(close.code, code, `close code (reason ${JSON.stringify(close.reason)}); frames: ${c.frames.map(describeFrame).join(', ')}`);
    assertServerFrame(close.frame);
    assert.equal(close.frame.header[0], 0x88);
    assert.ok(Buffer.byteLength(close.reason) <= 123);
    c.sendClose(code);
    c.sock.end();
    await c.waitEnd();
    const others = extraFrames(c);
    assert.deepEqual(others.map(describeFrame), [describeFrame(close.frame)], 'frames besides welcome and pings');
    assert.deepEqual(c.errors.map((e) => e.code), [], 'socket errors');
    return close;
  }
  async function assertStillServes() {
    const c = await welcomed();
    c.sendText(frames.subscribe(NOTIF));
    await c.nextText(frames.confirm(NOTIF));
  }

  describe('ping, fragments, UTF-8', () => {
    it('answers ping "hi" with pong "hi" (8a02 6869)', async () => {
      const c = await welcomed();
      c.sendFrame({ opcode: OP.PING, payload: 'hi' });
      const f = await c.next((x) => x.opcode === OP.PONG);
      assert.equal(Buffer.concat([f.header, f.payload]).toString('hex'), '8a026869');
    });

    it('answers an empty ping and a 125-byte ping with the same payload', async () => {
      const c = await welcomed();
      c.sendFrame({ opcode: OP.PING });
      const empty = await c.next((x) => x.opcode === OP.PONG);
      assert.equal(Buffer.concat([empty.header, empty.payload]).toString('hex'), '8a00');
      const big = Buffer.alloc(125, 0xab);
      c.sendFrame({ opcode: OP.PING, payload: big });
      const f = await c.next((x) => x.opcode === OP.PONG);
      assert.equal(f.header.toString('hex'), '8a7d');
      assert.ok(f.payload.equals(big));
    });

    it('ignores an unsolicited pong', async () => {
      const c = await welcomed();
      c.sendFrame({ opcode: OP.PONG, payload: 'unasked' });
      await barrier(c);
      assert.deepEqual(extraFrames(c).map(describeFrame), [describeFrame(c.frames[c.frames.length - 1])]);
    });

    it('reassembles a fragmented subscribe, answering a ping sent between the fragments first', async () => {
      const c = await welcomed();
      const msg = Buffer.from(frames.subscribe(NOTIF));
      c.sendFrame({ opcode: OP.TEXT, fin: false, payload: msg.subarray(0, 10) });
      c.sendFrame({ opcode: OP.PING, payload: 'mid' });
      c.sendFrame({ opcode: OP.CONT, fin: false, payload: Buffer.alloc(0) });
      c.sendFrame({ opcode: OP.CONT, fin: true, payload: msg.subarray(10) });
      const pong = await c.next((x) => x.opcode === OP.PONG);
      assert.equal(Buffer.concat([pong.header, pong.payload]).toString('hex'), '8a036d6964');
      const confirm = await c.nextText(frames.confirm(NOTIF));
      assertServerFrame(confirm);
      const order = c.frames.filter((f) => f.opcode === OP.PONG || f.text === frames.confirm(NOTIF)).map((f) => f.opcode);
      assert.deepEqual(order, [OP.PONG, OP.TEXT], 'the pong comes before the reassembled message is answered');
    });

    it('accepts a multi-byte character split across fragments', async () => {
      const c = await welcomed();
      const id = ident({ channel: 'NoSuchChannel', name: 'é€😀' });
      const msg = Buffer.from(frames.subscribe(id));
      const cut = msg.indexOf(Buffer.from('€')) + 1; // inside the 3-byte sequence
      c.sendFrame({ opcode: OP.TEXT, fin: false, payload: msg.subarray(0, cut) });
      c.sendFrame({ opcode: OP.CONT, fin: true, payload: msg.subarray(cut) });
      await c.nextText(frames.reject(id));
    });

    it('closes 1007 on invalid UTF-8 in a text frame', async () => {
      const c = await welcomed();
      c.sendFrame({ opcode: OP.TEXT, payload: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]) });
      await expectErrorClose(c, 1007);
      await assertStillServes();
    });

    it('closes 1007 on invalid UTF-8 split across fragments', async () => {
      const c = await welcomed();
      c.sendFrame({ opcode: OP.TEXT, fin: false, payload: Buffer.from([0x22, 0xe2, 0x82]) });
      c.sendFrame({ opcode: OP.CONT, fin: true, payload: Buffer.from([0x28, 0x22]) });
      await expectErrorClose(c, 1007);
      await assertStillServes();
    });

    it('closes 1007 on an encoded surrogate (ED A0 80) and an overlong encoding (C0 AF)', async () => {
      for (const bad of [[0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const c = await welcomed();
        c.sendFrame({ opcode: OP.TEXT, payload: Buffer.from(bad) });
        await expectErrorClose(c, 1007);
      }
      await assertStillServes();
    });
  });

  describe('protocol errors close with 1002', () => {
    const cases = [
      ['an unmasked client frame', () => encodeFrame({ opcode: OP.TEXT, payload: frames.subscribe(NOTIF), mask: false })],
      ['RSV1 set without an extension', () => encodeFrame({ opcode: OP.TEXT, payload: '{}', rsv: 4 })],
      ['RSV2 set', () => encodeFrame({ opcode: OP.TEXT, payload: '{}', rsv: 2 })],
      ['RSV3 set', () => encodeFrame({ opcode: OP.PING, payload: 'x', rsv: 1 })],
      ['reserved data opcode 0x3', () => encodeFrame({ opcode: 0x3, payload: 'x' })],
      ['reserved control opcode 0xB', () => encodeFrame({ opcode: 0xb, payload: 'x' })],
      ['a ping with a 126-byte payload', () => encodeFrame({ opcode: OP.PING, payload: Buffer.alloc(126, 0x61) })],
      ['a close with a 126-byte payload', () => encodeFrame({ opcode: OP.CLOSE, payload: closePayload(1000, 'r'.repeat(124)) })],
      ['a fragmented ping (FIN=0)', () => encodeFrame({ opcode: OP.PING, payload: 'x', fin: false })],
      ['a continuation frame with no message started', () => encodeFrame({ opcode: OP.CONT, payload: 'x' })],
      ['a new text frame inside a fragmented message', () => Buffer.concat([
        encodeFrame({ opcode: OP.TEXT, payload: '{"a":', fin: false }),
        encodeFrame({ opcode: OP.TEXT, payload: '1}' }),
      ])],
      ['a close frame with a 1-byte payload', () => encodeFrame({ opcode: OP.CLOSE, payload: Buffer.from([0x03]) })],
      ['close code 1005 (not allowed on the wire)', () => encodeFrame({ opcode: OP.CLOSE, payload: closePayload(1005, 'x') })],
      ['close code 999', () => encodeFrame({ opcode: OP.CLOSE, payload: closePayload(999) })],
      ['close code 1016 (reserved)', () => encodeFrame({ opcode: OP.CLOSE, payload: closePayload(1016) })],
    ];
    for (const [name, bytes] of cases) {
      it(name, async () => {
        const c = await welcomed();
        c.write(bytes());
        await expectErrorClose(c, 1002);
        await assertStillServes();
      });
    }
  });

  describe('lengths', () => {
    it('reads client messages of 125 and 126 bytes (7-bit and 16-bit lengths)', async () => {
      const c = await welcomed();
      for (const size of [125, 126]) {
        const head = '{"command":"subscribe","identifier":"{\\"channel\\":\\"NoSuchChannel\\",\\"p\\":\\"';
        const tail = '\\"}"}';
        const msg = head + 'p'.repeat(size - head.length - tail.length) + tail;
        assert.equal(Buffer.byteLength(msg), size);
        c.sendText(msg);
        await c.nextText(frames.reject(JSON.parse(msg).identifier));
      }
    });

    it('sends frames of 125, 126, 65535 and 65536 bytes with the shortest length form', async () => {
      const c = await welcomed();
      c.sendText(frames.subscribe(NOTIF));
      await c.nextText(frames.confirm(NOTIF));
      const base = Buffer.byteLength(frames.data(NOTIF, '""'));
      const cases = [[125, '817d'], [126, '817e007e'], [65535, '817effff'], [65536, '817f0000000000010000']];
      for (const [size, hdr] of cases) {
        const data = 'a'.repeat(size - base);
        await publish(server, { stream: 'notification-channel-1', data });
        const f = await c.next((x) => x.opcode === OP.TEXT && !PING_RE.test(x.text), 5000, `the ${size}-byte broadcast`);
        assert.equal(f.payload.length, size);
        assert.equal(f.header.toString('hex'), hdr, `header of the ${size}-byte frame`);
        assert.equal(f.text, frames.data(NOTIF, JSON.stringify(data)));
      }
    });
  });

  describe('message size and type', () => {
    it(`closes 1009 on a text frame over --max-message-size (${MAX_MESSAGE})`, async () => {
      const c = await welcomed();
      c.sendText('x'.repeat(MAX_MESSAGE + 1));
      await expectErrorClose(c, 1009);
      await assertStillServes();
    });

    it('closes 1009 on a fragmented message whose total is over the limit', async () => {
      const c = await welcomed();
      const part = 'y'.repeat(Math.ceil(MAX_MESSAGE / 3) + 1);
      c.sendFrame({ opcode: OP.TEXT, fin: false, payload: part });
      c.sendFrame({ opcode: OP.CONT, fin: false, payload: part });
      c.sendFrame({ opcode: OP.CONT, fin: true, payload: part });
      await expectErrorClose(c, 1009);
      await assertStillServes();
    });

    it('closes 1009 at once on a header announcing a 1 TiB payload', async () => {
      const c = await welcomed();
      const h = Buffer.from([0x81, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
      c.write(h);
      await expectErrorClose(c, 1009);
      await assertStillServes();
    });

    it('accepts a message of exactly --max-message-size bytes', async () => {
      const c = await welcomed();
      const head = '{"command":"frobnicate","pad":"';
      const msg = head + 'z'.repeat(MAX_MESSAGE - head.length - 2) + '"}';
      assert.equal(Buffer.byteLength(msg), MAX_MESSAGE);
      c.sendText(msg);
      await barrier(c);
      assert.equal(c.frames.filter((f) => f.opcode === OP.CLOSE).length, 0);
    });

    it('closes 1003 on a binary frame', async () => {
      const c = await welcomed();
      c.sendFrame({ opcode: OP.BINARY, payload: frames.subscribe(NOTIF) });
      await expectErrorClose(c, 1003);
      await assertStillServes();
    });
  });

  describe('close handshake', () => {
    async function echo(payload, expectHex) {
      const c = await welcomed();
      c.sendFrame({ opcode: OP.CLOSE, payload });
      const close = await c.nextClose();
      assertServerFrame(close.frame);
      const hex = Buffer.concat([close.frame.header, close.frame.payload]).toString('hex');
      if (Array.isArray(expectHex)) assert.ok(expectHex.includes(hex), `close frame ${hex}, expected one of ${expectHex}`);
      else assert.equal(hex, expectHex);
      await c.waitEnd();
      assert.deepEqual(c.errors.map((e) => e.code), []);
      await c.closed;
    }

    it('echoes close 1000 "bye" (88 05 03e8 627965) and then closes TCP', () => echo(closePayload(1000, 'bye'), '880503e8627965'));
    it('echoes close 4001 "custom"', () => echo(closePayload(4001, 'custom'), '88080fa1' + Buffer.from('custom').toString('hex')));
    it('answers an empty close with close 1000 or an empty close', () => echo(Buffer.alloc(0), ['880203e8', '8800']));
  });

  describe('framing around the handshake', () => {
    it('does not lose a subscribe sent in the same packet as the upgrade request (50 connections)', async () => {
      // One token for all: minting runs the server binary, and 50 runs of a
      // sanitized build in a row would hold node's loop past the wait below.
      const token = server.token(1);
      const all = await Promise.all(Array.from({ length: 50 }, () =>
        open(encodeFrame({ opcode: OP.TEXT, payload: frames.subscribe(NOTIF) }), { token })));
      await Promise.all(all.map(async (c) => {
        const w = await c.next();
        assert.match(w.text, WELCOME_RE, 'the welcome comes first');
        await c.nextText(frames.confirm(NOTIF));
      }));
    });

    it('handles the upgrade request, a ping and a fragmented subscribe written one byte at a time', async () => {
      const c = await RawClient.connect(server.port);
      raws.push(c);
      const msg = Buffer.from(frames.subscribe(NOTIF));
      const bytes = Buffer.concat([
        Buffer.from(RawClient.requestText({ origin: server.origin, token: server.token(1) }), 'latin1'),
        encodeFrame({ opcode: OP.TEXT, fin: false, payload: msg.subarray(0, 20) }),
        encodeFrame({ opcode: OP.PING, payload: 'p' }),
        encodeFrame({ opcode: OP.CONT, payload: msg.subarray(20) }),
      ]);
      for (let i = 0; i < bytes.length; i++) {
        c.write(bytes.subarray(i, i + 1));
        if (i % 64 === 0) await new Promise((r) => setImmediate(r));
      }
      await c.until(() => c.head !== null, 5000, 'the 101');
      assert.equal(c.head.status, 101);
      await c.next((f) => f.opcode === OP.PONG);
      await c.nextText(frames.confirm(NOTIF));
    });

    it('half-close: an error close frame survives 256 KiB of input written behind the bad frame', { timeout: 30000 }, async () => {
      const junk = [];
      for (let n = 0; n < 256; n++) junk.push(encodeFrame({ opcode: OP.TEXT, payload: 'j'.repeat(1000) }));
      const trailer = Buffer.concat(junk);
      for (let round = 0; round < 5; round++) {
        const c = await welcomed();
        c.write(Buffer.concat([encodeFrame({ opcode: OP.TEXT, payload: 'x', mask: false }), trailer]));
        const close = await c.nextClose();
        assert.equal(close.code, 1002, `round ${round}`);
        assert.deepEqual(c.errors.map((e) => e.code), [], `round ${round}: socket errors`);
        c.sendClose(1002);
        c.sock.end();
        await c.waitEnd(10000);
        assert.deepEqual(c.errors.map((e) => e.code), [], `round ${round}: socket errors after our close`);
        assert.deepEqual(extraFrames(c).map(describeFrame), [describeFrame(close.frame)], 'the junk after the error was not acted on');
      }
      await assertStillServes();
    });
  });
});
