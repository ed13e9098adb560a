// What an HTTP client may hold on the server before it is authenticated or done: a request
// head must be complete within --header-timeout-ms of its first byte however it trickles in, a
// body must keep up --body-min-rate after --body-timeout-ms, a route that needs a token refuses
// a bad one from the head alone (before any body byte is kept), a route that needs none takes
// only a small body, and all incomplete requests together hold at most --max-request-memory.
// The limits are set through the environment (CABLED_HEADER_TIMEOUT_MS, ...) with short values,
// so the tests take seconds.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer, stopAll } = require('./lib/server');
const { broadcast, request } = require('./lib/http');

/** A raw HTTP client: write bytes when told, collect what comes back, know when it closed. */
class RawHttp {
  static connect(port) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host: '127.0.0.1' });
      sock.once('connect', () => resolve(new RawHttp(sock)));
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    sock.setNoDelay(true);
    this.data = '';
    this.closedAt = null;
    this.error = null;
    sock.setEncoding('latin1');
    sock.on('data', (d) => { this.data += d; });
    sock.on('error', (e) => { this.error = e; });
    this.closed = new Promise((resolve) => sock.on('close', () => { this.closedAt = Date.now(); resolve(); }));
  }

  write(s) { if (!this.sock.destroyed) this.sock.write(s); }

  /** The status of the first response, or null. */
  get status() {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.data);
    return m ? Number(m[1]) : null;
  }

  /** Resolves with the status once a whole response head has arrived; rejects after ms. */
  async response(ms) {
    const t0 = Date.now();
    while (!this.data.includes('\r\n\r\n')) {
      if (this.closedAt !== null) throw new Error(`closed without a response (${this.error ? this.error.code : 'FIN'})`);
      if (Date.now() - t0 > ms) throw new Error(`no response within ${ms} ms`);
      await sleep(20);
    }
    return this.status;
  }

  /** Writes `text` one byte every `everyMs` until the socket closes or `maxMs` pass. Resolves
   *  with the bytes written. */
  async trickle(text, everyMs, maxMs) {
    const t0 = Date.now();
    let i = 0;
    while (this.closedAt === null && Date.now() - t0 < maxMs) {
      this.write(text[i % text.length]);
      i++;
      await sleep(everyMs);
    }
    return i;
  }

  destroy() { this.sock.destroy(); }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('request head deadline', () => {
  let server;
  const socks = [];
  before(async () => { server = await startServer({ env: { CABLED_HEADER_TIMEOUT_MS: '1000' } }); });
  after(async () => {
    for (const s of socks) s.destroy();
    await stopAll();
  });

  it('closes a head trickled one byte at a time, counting from its first byte', { timeout: 20000 }, async () => {
    const c = await RawHttp.connect(server.port);
    socks.push(c);
    const t0 = Date.now();
    c.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    await c.trickle('X-Slow: aaaa\r\n', 100, 10000);
    assert.notEqual(c.closedAt, null, 'the connection is still open after 10 s of a trickling head');
    const took = c.closedAt - t0;
    // The deadline is checked every second: 1 to 2 s, more on a loaded machine.
    assert.ok(took >= 1000 && took < 6000, `closed ${took} ms after the first byte; the deadline is 1000 ms`);
    assert.equal(c.status, 408, c.data);
  });

  it('serves a head that completes within the deadline, however it arrives', { timeout: 20000 }, async () => {
    const c = await RawHttp.connect(server.port);
    socks.push(c);
    // In 6 pieces, 20 ms apart: split anywhere, well within the 1 s deadline.
    const head = 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';
    for (let i = 0; i < head.length; i += 6) {
      c.write(head.slice(i, i + 6));
      await sleep(20);
    }
    assert.equal(await c.response(3000), 200);
    // The next request on the same connection gets its own deadline.
    await sleep(700);
    c.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = () => (c.data.match(/HTTP\/1\.1 200/g) || []).length;
    for (let waited = 0; responses() < 2 && waited < 5000; waited += 20) await sleep(20);
    assert.equal(responses(), 2, c.data);
  });
});

describe('request body rate', () => {
  let server;
  const socks = [];
  before(async () => {
    server = await startServer({ env: { CABLED_BODY_TIMEOUT_MS: '1000', CABLED_BODY_MIN_RATE: '1000' } });
  });
  after(async () => {
    for (const s of socks) s.destroy();
    await stopAll();
  });

  function head(length) {
    return `POST /api/v1/broadcast HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.appToken}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
  }

  it('closes an authenticated body that arrives slower than the minimum rate', { timeout: 20000 }, async () => {
    const c = await RawHttp.connect(server.port);
    socks.push(c);
    const t0 = Date.now();
    c.write(head(100000) + '{"stream":"s","data":"');
    // 10 bytes every 100 ms is 100 bytes/s, a tenth of the minimum.
    while (c.closedAt === null && Date.now() - t0 < 8000) {
      c.write('xxxxxxxxxx');
      await sleep(100);
    }
    assert.notEqual(c.closedAt, null, 'the connection is still open after 8 s of a trickling body');
    const took = c.closedAt - t0;
    assert.ok(took < 5000, `closed after ${took} ms; 1 s of grace plus ~0.1 s for the bytes sent`);
    assert.equal(c.status, 408, c.data);
  });

  it('reads a body that keeps up the minimum rate to the end', { timeout: 20000 }, async () => {
    const c = await RawHttp.connect(server.port);
    socks.push(c);
    const body = JSON.stringify({ stream: 's', data: 'y'.repeat(3960) });
    c.write(head(Buffer.byteLength(body)));
    // 1,000 bytes every 400 ms is 2,500 bytes/s.
    for (let i = 0; i < body.length; i += 1000) {
      c.write(body.slice(i, i + 1000));
      await sleep(400);
    }
    assert.equal(await c.response(3000), 202, c.data);
  });
});

describe('credentials before the body', () => {
  let server;
  const socks = [];
  before(async () => { server = await startServer(); });
  after(async () => {
    for (const s of socks) s.destroy();
    await stopAll();
  });

  const cases = [
    ['POST', '/api/v1/broadcast', null, 401, 'Your account could not be authenticated.'],
    ['POST', '/api/v1/broadcast', 'Bearer wrong-app-token', 401, 'Your account could not be authenticated.'],
    ['POST', '/api/admin/v2/community_members', 'Basic abc', 401, 'Your account could not be authenticated.'],
    ['POST', '/api/v1/headless/auth_token', 'Bearer  ', 401, 'Your account could not be authenticated.'],
    ['POST', '/api/headless/v1/messages', null, 401, 'The access token is invalid.'],
    ['PUT', '/api/headless/v1/messages/x/chat_room_messages/1', 'Bearer a.b.c', 401, 'The access token is invalid.'],
    ['PATCH', '/api/v1/headless/access_token/refresh', null, 413, 'Payload too large'],
    ['POST', '/no/such/route', null, 413, 'Payload too large'],
  ];
  for (const [method, path, auth, status, message] of cases) {
    it(`${method} ${path} with ${auth === null ? 'no' : JSON.stringify(auth)} Authorization and a 500 kB body: ${status} from the head alone`, async () => {
      const c = await RawHttp.connect(server.port);
      socks.push(c);
      c.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\n${auth === null ? '' : `Authorization: ${auth}\r\n`}` +
        'Content-Type: application/json\r\nContent-Length: 500000\r\n\r\n{"a":"');
      assert.equal(await c.response(3000), status, c.data);
      await c.closed;
      assert.match(c.data, /\r\nConnection: close\r\n/i);
      assert.deepEqual(JSON.parse(c.data.slice(c.data.indexOf('\r\n\r\n') + 4)),
        { success: false, message, error_details: {} });
    });
  }

  it('still takes a small body on a route that needs no token', async () => {
    const r = await request(server.port, {
      method: 'PATCH', path: '/api/v1/headless/access_token/refresh',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: 'x'.repeat(43) }),
    });
    assert.equal(r.status, 404, r.body);
  });

  it('an expired member token is refused before the body with the API\'s own message', async () => {
    const c = await RawHttp.connect(server.port);
    socks.push(c);
    c.write(`POST /api/headless/v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.token(1, { ttl: -10 })}\r\n` +
      'Content-Length: 500000\r\n\r\n');
    assert.equal(await c.response(3000), 401, c.data);
    assert.match(c.data, /"message":"The access token is expired\."/);
  });
});

describe('memory held by incomplete requests', () => {
  let server;
  const socks = [];
  before(async () => { server = await startServer({ env: { CABLED_MAX_REQUEST_MEMORY: '1048576' } }); });
  after(async () => {
    for (const s of socks) s.destroy();
    await stopAll();
  });

  it('answers 503 to the request that would pass the cap, and frees what it held', { timeout: 20000 }, async () => {
    const head = `POST /api/v1/broadcast HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.appToken}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 900000\r\n\r\n{"stream":"s","data":"';
    const held = [];
    for (let i = 0; i < 4; i++) {
      const c = await RawHttp.connect(server.port);
      socks.push(c);
      held.push(c);
      c.write(head + 'z'.repeat(400000));
      await sleep(100);
    }
    // Two can be held (800 kB); the third and the fourth pass the cap. Wait for both answers.
    for (let waited = 0; held.filter((c) => c.status === 503).length < 2 && waited < 5000; waited += 50) await sleep(50);
    const refused = held.filter((c) => c.status === 503);
    assert.ok(refused.length >= 1, `no 503 while 4 x 400 kB wait under a 1 MiB cap: ${held.map((c) => c.status)}`);
    assert.ok(refused.length <= 2, `${refused.length} of 4 refused: the cap is 1 MiB`);
    for (const c of refused) {
      assert.match(c.data, /"message":"Service unavailable: too many requests in progress"/);
    }
    for (const c of held) c.destroy();
    // Once the server has seen them go (a 503 until then), 800 kB fit again.
    let r;
    for (let waited = 0; waited < 5000; waited += 100) {
      r = await broadcast(server, { stream: 's', data: 'w'.repeat(800000) });
      if (r.status !== 503) break;
      await sleep(100);
    }
    assert.equal(r.status, 202, `after the held requests went away: ${r.status} ${r.body}`);
  });
});
