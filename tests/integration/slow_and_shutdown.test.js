// Behaviour under load and at shutdown (SPEC 2.6). A client that stops reading while broadcasts
// flow on a room's stream (a raw socket that is paused, with --max-outbuf 65536; members 1-3 and
// the group room they share are created through the admin API first) gets a too_slow disconnect and a
// close frame once it reads again, having missed part of the stream, while a client that reads
// keeps receiving every broadcast in order and new clients are served; one that reads again
// slowly within the linger gets the frame that was being written completed, then the disconnect
// and the close, never a truncated frame. SIGTERM and SIGINT send
// every client {"type":"disconnect","reason":"server_restart","reconnect":true} and close 1000,
// and the process exits 0, also when a client never answers the close.

'use strict';

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, stopAll } = require('./lib/server');
const { publish } = require('./lib/http');
const { RawClient, OP, encodeFrame, describeFrame } = require('./lib/wire');
const { CableClient, closeAll, ident, frames, isPing, WELCOME_RE } = require('./lib/clients');

const MAX_OUTBUF = 65536;

/** Bytes the kernel holds between the server on serverPort and the local client socket on
 *  clientPort (both 127.0.0.1): the server socket's send queue plus the client socket's receive
 *  queue, from /proc/net/tcp. null when that is not available. */
function kernelQueued(serverPort, clientPort) {
  let text;
  try { text = fs.readFileSync('/proc/net/tcp', 'utf8'); } catch { return null; }
  const addr = (port) => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const srv = addr(serverPort);
  const cli = addr(clientPort);
  let tx = null;
  let rx = null;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const [txq, rxq] = f[4].split(':').map((h) => parseInt(h, 16));
    if (f[1] === srv && f[2] === cli) tx = txq;
    if (f[1] === cli && f[2] === srv) rx = rxq;
  }
  return tx === null || rx === null ? null : tx + rx;
}

/** A raw client past the welcome, subscribed to id. */
async function rawSubscribed(server, id, member = 1) {
  const c = await RawClient.connect(server.port);
  await c.upgrade({ origin: server.origin, token: server.token(member) });
  assert.equal(c.head.status, 101, c.head.raw);
  await c.next((f) => f.opcode === OP.TEXT && WELCOME_RE.test(f.text), 5000, 'welcome');
  c.write(encodeFrame({ opcode: OP.TEXT, payload: frames.subscribe(id) }));
  await c.nextText(frames.confirm(id));
  return c;
}

describe('slow readers', () => {
  const clients = [];
  const raws = [];
  after(async () => {
    closeAll(clients);
    for (const r of raws) r.destroy();
    await stopAll();
  });

  it('disconnects a client that stops reading with too_slow; a reading client gets everything', { timeout: 60000 }, async () => {
    const server = await startServer({ args: ['--max-outbuf', String(MAX_OUTBUF)] });
    // Chats::RoomChannel is allowed only to the room's participants.
    const [slowMember, fastMember, freshMember] = await server.createMembers(3);
    const room = await server.createRoom([slowMember, fastMember, freshMember]);
    const id = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
    const stream = `chat-room-${room.id}-channel`;

    const slow = await rawSubscribed(server, id, slowMember);
    raws.push(slow);
    const fast = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(fastMember) });
    clients.push(fast);
    assert.equal(await fast.subscribe(id), 'confirm');

    slow.pause();
    // Each payload is under --max-outbuf, and the next is sent only when the reading client has
    // the previous one, so that client never lags. The paused client's kernel buffers fill first
    // (a few MiB on loopback), then the server's own queue passes the cap and it must give up on
    // that client. The server waits only a short while for the disconnect frame to be read, so
    // publishing stops as soon as /proc/net/tcp shows more data published than the kernel holds
    // plus the cap (with a margin for delivery still in flight), and the client reads again.
    const PAD = 'x'.repeat(32 * 1024);
    const MAX_TOTAL = 16 * 1024 * 1024;
    const prefix = (seq) => `{"identifier":${JSON.stringify(id)},"message":{"seq":${seq},`;
    let published = 0;
    let count = 0;
    let pastCap = -1;
    for (let seq = 0; published < MAX_TOTAL; seq++) {
      await publish(server, { stream, data: { seq, pad: PAD } });
      count++;
      const want = prefix(seq);
      const got = await fast.expect((s) => !isPing(s), { what: `broadcast ${seq} on the reading client` });
      assert.ok(got.startsWith(want), `reading client: expected broadcast ${seq}, got ${got.slice(0, 120)}`);
      assert.equal(got.length, want.length + `"pad":"${PAD}"}}`.length);
      fast.frames.length = 0;
      const frameBytes = Buffer.byteLength(got) + 4;
      published += frameBytes;
      if (pastCap >= 0) {
        if (seq >= pastCap + 4) break;
      } else if (seq % 4 === 3) { // /proc/net/tcp can be long; read it now and then
        const held = kernelQueued(server.port, slow.sock.localPort);
        if (held !== null && published - held > MAX_OUTBUF + 4 * frameBytes) pastCap = seq;
      }
    }
    assert.equal(fast.closeInfo, null, 'the reading client was disconnected');

    slow.resume();
    const disc = await slow.next((f) => f.opcode === OP.TEXT && f.text.startsWith('{"type":"disconnect"'), 20000, 'the too_slow disconnect');
    assert.match(disc.text, /^\{"type":"disconnect","reason":"too_slow","reconnect":(true|false)\}$/);
    const close = await slow.nextClose(10000);
    await slow.waitEnd(10000);
    const texts = slow.frames.filter((f) => f.opcode === OP.TEXT && f.text.startsWith(`{"identifier":${JSON.stringify(id)},"message":`));
    for (let i = 0; i < texts.length; i++) {
      assert.ok(texts[i].text.startsWith(prefix(i)), `slow client's data frame ${i} is not broadcast ${i}: ${texts[i].text.slice(0, 120)}`);
    }
    assert.ok(texts.length < count, `the slow client got all ${count} broadcasts; nothing was bounded`);
    const order = slow.frames.map((f) => f.opcode);
    assert.equal(order.indexOf(OP.CLOSE), order.length - 1, 'the close frame is the last frame');
    assert.ok(slow.frames.indexOf(disc) < slow.frames.indexOf(close.frame), 'disconnect before close');
    for (const f of slow.frames) assert.equal(f.masked, false);
    console.log(`# too_slow: the slow client read ${texts.length} of ${count} broadcasts (${published} bytes), ` +
      `then ${describeFrame(disc)}, close ${close.code}`);

    // The reading client is still live, and new clients are served.
    await publish(server, { stream, data: { after: 'slow' } });
    assert.equal(await fast.expect((s) => !isPing(s)), frames.data(id, '{"after":"slow"}'));
    const fresh = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(freshMember) });
    clients.push(fresh);
    assert.equal(await fresh.subscribe(id), 'confirm');
  });
});

describe('a slow reader', () => {
  const raws = [];
  after(async () => {
    for (const r of raws) r.destroy();
    await stopAll();
  });

  /** Reads at about 1 MB/s from now on: one read (at most 64 KiB), then a 60 ms pause. */
  function throttle(raw) {
    raw.sock.on('data', () => {
      raw.sock.pause();
      setTimeout(() => raw.sock.resume(), 60);
    });
    raw.resume();
  }

  // Frames of 256 KiB under the default --max-outbuf (4 MiB), so when the server gives up on the
  // client its queue holds many whole frames besides the one being written. The client starts
  // reading again within the 2 s linger, 0.8 s or 1.2 s after too_slow, at about 1 MB/s: the
  // kernel's buffers (~4 MB here) drain too slowly for the frame being written to be finished
  // before the linger ends. It must still get every frame whole, then too_slow, then the
  // close, and nothing of the queue behind the frame that was being written.
  for (const pauseMs of [800, 1200]) {
    const how = `reading again ${pauseMs} ms after too_slow`;
    it(`${how}, it gets the frame in flight whole, then too_slow, then the close`, { timeout: 60000 }, async () => {
      const server = await startServer();
      const [member] = await server.createMembers(1);
      const room = await server.createRoom([member]);
      const id = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
      const stream = `chat-room-${room.id}-channel`;
      const slow = await rawSubscribed(server, id, member);
      raws.push(slow);
      slow.pause();
      const PAD = 'y'.repeat(256 * 1024);
      const frameBytes = 10 + frames.data(id, `{"seq":1000,"pad":"${PAD}"}`).length;
      // When the server logs too_slow (its linger starts then), not when the publish that
      // caused it returns: on a loaded machine that can be hundreds of ms later.
      let tooSlowAt = 0;
      // (The server object's own listener, added first, has appended the chunk already.)
      const onLog = () => { if (!tooSlowAt && /reason=too_slow/.test(server.stderr)) tooSlowAt = Date.now(); };
      server.proc.stderr.on('data', onLog);
      let count = 0;
      while (!/reason=too_slow/.test(server.stderr) && count < 400) {
        await publish(server, { stream, data: { seq: count, pad: PAD } });
        count++;
      }
      server.proc.stderr.off('data', onLog);
      assert.match(server.stderr, /reason=too_slow/, `no too_slow after ${count} broadcasts of 256 KiB`);
      assert.ok(tooSlowAt > 0, 'too_slow was logged before the listener saw it');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, tooSlowAt + pauseMs - Date.now())));
      // What the client can still read: what the kernel holds, the rest of the frame being
      // written, the disconnect and the close.
      const readBefore = slow.bytesIn;
      const held = kernelQueued(server.port, slow.sock.localPort);
      throttle(slow);
      const disc = await slow.next((f) => f.opcode === OP.TEXT && f.text.startsWith('{"type":"disconnect"'), 30000, 'the too_slow disconnect');
      assert.equal(disc.text, frames.disconnect('too_slow', true));
      const close = await slow.nextClose(10000);
      assert.equal(close.code, 1000);
      await slow.waitEnd(10000);
      assert.equal(slow.decoder.buf.length, 0, 'bytes of a truncated frame after the last whole frame');
      const texts = slow.frames.filter((f) => f.opcode === OP.TEXT && f.text.startsWith(`{"identifier":${JSON.stringify(id)},"message":`));
      texts.forEach((f, i) => assert.equal(f.text, frames.data(id, `{"seq":${i},"pad":"${PAD}"}`), `data frame ${i}`));
      assert.deepEqual(slow.frames.slice(-2), [disc, close.frame], 'the disconnect and the close come last');
      if (held !== null) {
        const more = slow.bytesIn - readBefore - held;
        assert.ok(more <= frameBytes + 65536, `${more} bytes arrived beyond what the kernel held; one frame is ${frameBytes}`);
      }
      console.log(`# ${how}: the client read ${texts.length} of ${count} broadcasts, then too_slow and close`);
    });
  }
});

describe('shutdown', () => {
  const clients = [];
  const raws = [];
  after(async () => {
    closeAll(clients);
    for (const r of raws) r.destroy();
    await stopAll();
  });

  for (const signal of ['SIGTERM', 'SIGINT']) {
    it(`${signal}: every client gets server_restart and close 1000; the process exits 0`, { timeout: 30000 }, async () => {
      const server = await startServer({ members: 2 });
      const id = ident({ channel: 'NotificationChannel', community_member_id: 1 });
      const ws = [];
      for (let i = 0; i < 5; i++) {
        const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
        clients.push(c);
        if (i % 2 === 0) assert.equal(await c.subscribe(id), 'confirm');
        ws.push(c);
      }
      const raw = await rawSubscribed(server, id);
      raws.push(raw);

      const t0 = Date.now();
      const exit = await server.stop(signal);
      assert.deepEqual(exit, { code: 0, signal: null }, `exit status; log:\n${server.logTail()}`);

      for (const c of ws) {
        const info = await c.waitClose();
        const last = c.frames.map((f) => f.text).filter((s) => !isPing(s)).pop();
        assert.equal(last, frames.disconnect('server_restart', true));
        assert.equal(info.code, 1000, 'close code');
      }
      const disc = await raw.nextText(frames.disconnect('server_restart', true));
      assert.equal(disc.header.toString('hex'), '8140');
      const close = await raw.nextClose();
      assert.equal(close.code, 1000);
      assert.ok(raw.frames.indexOf(disc) < raw.frames.indexOf(close.frame));
      await raw.waitEnd();
      console.log(`# ${signal}: exited in ${Date.now() - t0} ms`);
    });
  }

  it('exits 0 even when a client never reads or answers the close', { timeout: 30000 }, async () => {
    const server = await startServer({ members: 2 });
    const id = ident({ channel: 'NotificationChannel', community_member_id: 1 });
    const mute = await rawSubscribed(server, id);
    raws.push(mute);
    mute.pause();
    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
    mute.resume();
    await mute.nextText(frames.disconnect('server_restart', true));
    await mute.waitEnd();
  });
});
