// Batched writes (src/net/batch.c): the writes of a loop pass go to the kernel in one io_uring
// submission where the kernel allows it, and one write() each with --no-io-uring. Both paths
// must deliver the same bytes: exact frames to every subscriber of a fan-out, a frame larger
// than the socket buffer (a partial send finished by libuv), and an HTTP keep-alive exchange.
// /metrics says which path carried them (cabled_writes_batched_total). A server whose kernel
// refuses io_uring says so in its log at start; the batched half is then skipped with that reason.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer, stopAll } = require('./lib/server');
const { request, publish } = require('./lib/http');
const { CableClient, closeAll, ident, frames } = require('./lib/clients');

const SUBSCRIBERS = 40;

/** A metric's value from GET /metrics (0 when absent). */
async function metric(server, name) {
  const text = (await request(server.port, { path: '/metrics' })).body;
  const m = new RegExp(`^cabled_${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

for (const mode of ['io_uring', '--no-io-uring']) {
  describe(`writes with ${mode}`, () => {
    let server;
    let room;
    const clients = [];
    before(async () => {
      server = await startServer({ members: SUBSCRIBERS, args: mode === 'io_uring' ? [] : ['--no-io-uring'] });
      const ids = Array.from({ length: SUBSCRIBERS }, (_, i) => i + 1);
      room = await server.createRoom(ids);
    });
    after(async () => {
      closeAll(clients);
      await stopAll();
    });

    const refused = () => /writes go one system call each: (.*)/.exec(server.stderr);

    it('every subscriber of a fan-out gets the exact frames, in order; /metrics names the path', async (t) => {
      if (mode === 'io_uring' && refused()) {
        t.skip(`this kernel refuses io_uring: ${refused()[1]}`);
        return;
      }
      const id = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
      for (let m = 1; m <= SUBSCRIBERS; m++) {
        const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(m) });
        clients.push(c);
        assert.equal(await c.subscribe(id), 'confirm');
      }
      const before = await metric(server, 'writes_batched_total');
      for (let n = 0; n < 5; n++) await publish(server, { stream: `chat-room-${room.id}-channel`, data: { n } });
      for (const c of clients) {
        for (let n = 0; n < 5; n++) await c.expect(frames.data(id, `{"n":${n}}`));
      }
      const batched = (await metric(server, 'writes_batched_total')) - before;
      if (mode === 'io_uring') {
        assert.ok(batched >= SUBSCRIBERS, `${batched} batched writes for 5 broadcasts to ${SUBSCRIBERS} subscribers`);
        assert.ok(await metric(server, 'write_submissions_total') >= 1);
      } else {
        assert.equal(batched, 0);
        assert.equal(await metric(server, 'write_submissions_total'), 0);
      }
    });

    it('a frame larger than the socket buffer arrives whole, then the next one', async () => {
      const id = ident({ channel: 'Chats::RoomChannel', chat_room_id: room.id });
      const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
      clients.push(c);
      assert.equal(await c.subscribe(id), 'confirm');
      const big = 'z'.repeat(900000);
      await publish(server, { stream: `chat-room-${room.id}-channel`, data: { big } });
      await publish(server, { stream: `chat-room-${room.id}-channel`, data: { after: 1 } });
      await c.expect(frames.data(id, JSON.stringify({ big })), { timeoutMs: 15000 });
      await c.expect(frames.data(id, '{"after":1}'));
    });

    it('pipelined HTTP requests get their answers whole and in order (several buffers in one send)', async () => {
      const sock = net.connect(server.port, '127.0.0.1');
      let data = '';
      sock.setEncoding('latin1');
      sock.on('data', (d) => { data += d; });
      await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
      try {
        const N = 20;
        sock.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(N));
        const count = () => (data.match(/HTTP\/1\.1 200 OK\r\n/g) || []).length;
        for (let waited = 0; count() < N && waited < 10000; waited += 20) await new Promise((r) => setTimeout(r, 20));
        assert.equal(count(), N, data.slice(0, 500));
        const bodies = data.split('HTTP/1.1 200 OK\r\n').slice(1).map((r) => r.slice(r.indexOf('\r\n\r\n') + 4));
        for (const b of bodies) assert.equal(b, '{"status":"ok"}');
      } finally {
        sock.destroy();
      }
    });
  });
}
