// At the descriptor limit. cabled runs under `ulimit -n 64` with one event loop; idle sockets
// are opened until it refuses more. A refused client must get an HTTP 503 in Circle's error
// shape (not a reset, not a silent close), the REST API must keep working for the clients that
// got in (the storage workers must not need a descriptor to answer), and the log must say so
// once, not once per refused socket.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer, stopAll } = require('./lib/server');
const { api, request } = require('./lib/http');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether data holds a whole HTTP response: the head and a body of its Content-Length. */
function wholeResponse(data) {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const len = /\r\ncontent-length: *(\d+)/i.exec(data.slice(0, end));
  return data.length - (end + 4) >= (len ? Number(len[1]) : 0);
}

/** Connects, asks GET /health, and waits until the server has answered in full or closed (at
 *  most maxMs). Resolves with {sock, data, closed, error}; the socket is left open unless the
 *  server closed it. */
function probe(port, maxMs = 5000) {
  return new Promise((resolve) => {
    const r = { sock: net.connect(port, '127.0.0.1'), data: '', closed: false, error: null };
    const timer = setTimeout(() => resolve(r), maxMs);
    const done = () => { clearTimeout(timer); resolve(r); };
    r.sock.setEncoding('latin1');
    r.sock.on('data', (d) => {
      r.data += d;
      // A 200 keeps the connection; a 503 is followed by the close: wait for that too.
      if (wholeResponse(r.data) && /^HTTP\/1\.1 200 /.test(r.data)) done();
    });
    r.sock.on('error', (e) => { r.error = e.code || e.message; });
    r.sock.on('close', () => { r.closed = true; setTimeout(done, 10); });
    r.sock.once('connect', () => {
      // A request, as a client would send at once: a server that closes with it unread resets.
      r.sock.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    });
  });
}

describe('at the descriptor limit', () => {
  let server;
  const socks = [];
  before(async () => {
    server = await startServer({ nofile: 64, args: ['--threads', '1'] });
  });
  after(async () => {
    for (const s of socks) s.destroy();
    await stopAll();
  });

  it('answers 503 to the sockets it cannot take, keeps serving the API, and logs the limit once', { timeout: 60000 }, async () => {
    const refused = [];
    // Fill: each socket asks GET /health and keeps its connection (keep-alive).
    for (let i = 0; i < 120 && refused.length < 20; i++) {
      const r = await probe(server.port);
      if (/^HTTP\/1\.1 200 /.test(r.data) && !r.closed) socks.push(r.sock);
      else refused.push(r);
    }
    assert.ok(socks.length >= 6, `only ${socks.length} connections were taken under ulimit -n 64`);
    assert.ok(refused.length > 0, `all ${socks.length} connections were taken under ulimit -n 64`);
    await sleep(300);
    for (const r of refused) {
      assert.match(r.data, /^HTTP\/1\.1 503 /, `a refused socket got ${JSON.stringify(r.data.slice(0, 60))}, error ${r.error}`);
      assert.match(r.data, /\{"success":false,"message":"Service unavailable: too many connections","error_details":\{\}\}$/);
      assert.equal(r.error, null, 'a refused socket was reset');
      r.sock.destroy();
    }

    // Make room for a few REST calls at once: each worker thread that runs one must already
    // have what it needs.
    for (const s of socks.splice(0, 8)) s.destroy();
    // Until the server has seen them go: /health answers on a new connection.
    for (let i = 0; ; i++) {
      const r = await probe(server.port);
      r.sock.destroy();
      if (/^HTTP\/1\.1 200 /.test(r.data)) break;
      assert.ok(i < 100, `no connection taken after 8 were closed: ${JSON.stringify(r.data.slice(0, 60))}`);
      await sleep(50);
    }
    const calls = await Promise.all(Array.from({ length: 6 }, () => api(server, 'GET', '/api/admin/v2/community_members')));
    for (const r of calls) assert.equal(r.status, 200, r.body);
    const health = await request(server.port, { path: '/health' });
    assert.equal(health.status, 200, health.body);

    const lines = server.stderr.split('\n').filter((l) => /too many connections|connection limit|EMFILE|descriptor/i.test(l));
    assert.ok(lines.length >= 1, 'the limit was not logged');
    assert.ok(lines.length <= 2, `the limit was logged ${lines.length} times:\n${lines.slice(0, 5).join('\n')}`);
  });
});
