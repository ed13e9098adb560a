// The WebSocket handshake on GET /cable: Origin allow-list (exact match; others get 403 with a
// JSON error body and no upgrade), the access token in the Authorization header or ?token=
// (missing, forged, tampered, expired and other-community tokens get 101, one disconnect frame
// and close 1000, never a welcome), subprotocol selection, the 101 headers, the welcome's sid,
// ping cadence and value with --ping-interval 1, non-upgrade and malformed upgrade requests,
// configuration from CABLED_* environment variables, and the claims of `cabled token`.

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll, mintToken, ORIGIN, SECRET } = require('./lib/server');
const { request, broadcast } = require('./lib/http');
const { RawClient, OP, acceptFor, describeFrame, encodeFrame } = require('./lib/wire');
const { CableClient, frames, closeAll, PING_RE, WELCOME_RE, PROTOCOLS } = require('./lib/clients');

const SECOND_ORIGIN = 'http://localhost:3000';

describe('handshake', () => {
  let server;
  let raws = [];
  let wss = [];

  before(async () => { server = await startServer({ pingInterval: 1, origins: [ORIGIN, SECOND_ORIGIN], members: 8 }); });
  afterEach(() => {
    for (const r of raws) r.destroy();
    closeAll(wss);
    raws = [];
    wss = [];
  });
  after(stopAll);

  /** A raw client that has sent its upgrade request (opts as RawClient.requestText). */
  async function raw(opts = {}, extra) {
    const c = await RawClient.connect(server.port);
    raws.push(c);
    await c.upgrade({ origin: ORIGIN, ...opts }, extra);
    return c;
  }
  async function ws(opts = {}) {
    const c = await CableClient.connect(server.wsUrl, opts);
    wss.push(c);
    return c;
  }
  /** After a refused upgrade, a well-formed client is still served. */
  async function assertStillServes() {
    const c = await raw({ token: server.token(1) });
    assert.equal(c.head.status, 101);
    await c.next((f) => f.opcode === OP.TEXT && WELCOME_RE.test(f.text), 5000, 'welcome');
  }

  describe('101 response', () => {
    it('answers 101 with Upgrade, Connection and the right Sec-WebSocket-Accept, then a welcome frame', async () => {
      const c = await raw({ token: server.token(1), headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });
      const h = c.head;
      assert.equal(h.statusLine, 'HTTP/1.1 101 Switching Protocols');
      assert.equal(h.headers.upgrade.toLowerCase(), 'websocket');
      assert.equal(h.headers.connection.toLowerCase(), 'upgrade');
      assert.equal(h.headers['sec-websocket-accept'], acceptFor(c.key));
      assert.equal(h.headers['sec-websocket-extensions'], 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10',
        'permessage-deflate is agreed (deflate.test.js has the details)');
      assert.equal(h.headers['sec-websocket-protocol'], undefined, 'no subprotocol was offered');
      const w = await c.next();
      assert.equal(w.opcode, OP.TEXT, describeFrame(w));
      assert.match(w.text, WELCOME_RE);
      assert.equal(w.fin, true);
      assert.equal(w.rsv, 0);
      assert.equal(w.masked, false, 'server frames are never masked');
      assert.equal(w.header.toString('hex'), '81' + w.payload.length.toString(16).padStart(2, '0'));
    });

    it("accepts header names in any case, Upgrade: WebSocket and Firefox's Connection: keep-alive, Upgrade", async () => {
      const c = await RawClient.connect(server.port);
      raws.push(c);
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      c.write(Buffer.from(['GET /cable HTTP/1.1', `host: 127.0.0.1:${server.port}`, 'upgrade: WebSocket',
        'connection: keep-alive, Upgrade', `sec-websocket-key: ${key}`, 'sec-websocket-version: 13',
        `origin: ${ORIGIN}`, `authorization: Bearer ${server.token(1)}`, '', ''].join('\r\n')));
      await c.until(() => c.head !== null, 5000, 'the response');
      assert.equal(c.head.status, 101, c.head.raw);
      assert.equal(c.head.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      await c.next((f) => f.opcode === OP.TEXT && WELCOME_RE.test(f.text), 5000, 'welcome');
    });

    it('gives each connection its own 21-character url-safe sid', async () => {
      const a = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
      const b = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
      wss.push(a, b);
      assert.match(a.sid, /^[A-Za-z0-9_-]{21}$/);
      assert.match(b.sid, /^[A-Za-z0-9_-]{21}$/);
      assert.notEqual(a.sid, b.sid);
      assert.equal(a.ws.extensions, 'permessage-deflate', 'the ws client offers permessage-deflate and gets it');
    });
  });

  describe('Origin', () => {
    it('accepts each --allowed-origin exactly', async () => {
      for (const origin of [ORIGIN, SECOND_ORIGIN]) {
        const c = await raw({ origin, token: server.token(1) });
        assert.equal(c.head.status, 101, `Origin ${origin}`);
        await c.next((f) => f.opcode === OP.TEXT && WELCOME_RE.test(f.text), 5000, 'welcome');
      }
    });

    const refused = [
      ['missing', null],
      ['another site', 'https://evil.example.com'],
      ['a different case', 'https://YOUR-WHITELISTED-DOMAIN.com'],
      ['a trailing slash', 'https://your-whitelisted-domain.com/'],
      ['http instead of https', 'http://your-whitelisted-domain.com'],
      ['a port added', 'https://your-whitelisted-domain.com:443'],
      ['"null"', 'null'],
    ];
    for (const [name, origin] of refused) {
      it(`refuses ${name} Origin with 403 and a JSON error, without upgrading`, async () => {
        const c = await raw({ origin, token: server.token(1) });
        const h = c.head;
        assert.equal(h.status, 403, h.raw);
        assert.equal(h.headers['sec-websocket-accept'], undefined);
        assert.notEqual((h.headers.upgrade || '').toLowerCase(), 'websocket');
        assert.match(h.headers['content-type'] || '', /^application\/json\b/);
        const cl = Number(h.headers['content-length']);
        assert.ok(Number.isFinite(cl), `403 without Content-Length: ${h.raw}`);
        assert.equal(c.body.length, cl, 'nothing may follow the error body');
        const body = JSON.parse(c.body.toString('utf8'));
        assert.equal(body.success, false);
        assert.equal(typeof body.message, 'string');
        assert.ok(body.message.length > 0);
        assert.deepEqual(body.error_details, {});
        assert.equal(c.frames.length, 0);
        await assertStillServes();
      });
    }

    it('refuses the same-origin-as-host Origin too (only the allow-list counts)', async () => {
      const c = await raw({ origin: `http://127.0.0.1:${server.port}`, host: `127.0.0.1:${server.port}`, token: server.token(1) });
      assert.equal(c.head.status, 403, c.head.raw);
    });

    it('checks the Origin before the token: bad Origin and no token is 403', async () => {
      const c = await raw({ origin: 'https://evil.example.com' });
      assert.equal(c.head.status, 403, c.head.raw);
      assert.equal(c.frames.length, 0);
    });

    it('refuses a ws client with a bad Origin (unexpected-response 403)', async () => {
      await assert.rejects(CableClient.connect(server.wsUrl, { origin: 'https://evil.example.com', token: server.token(1) }),
        (e) => e.status === 403 && JSON.parse(e.body).success === false);
    });
  });

  describe('access token', () => {
    it('accepts Authorization: Bearer', async () => {
      const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
      wss.push(c);
    });

    it('accepts ?token= (browsers cannot set headers)', async () => {
      const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1), tokenIn: 'query', protocols: PROTOCOLS });
      wss.push(c);
      assert.equal(c.ws.protocol, 'actioncable-v1-json');
    });

    /** 101, then exactly the disconnect frame and close 1000, and FIN after our close reply. */
    async function assertRefused(opts, reason) {
      const sub = frames.subscribe('{"channel":"NotificationChannel"}');
      // A subscribe in the same packet as the handshake must be ignored.
      const c = await raw(opts, encodeFrame({ opcode: OP.TEXT, payload: sub }));
      assert.equal(c.head.status, 101, c.head.raw);
      const first = await c.next();
      assert.equal(first.opcode, OP.TEXT, describeFrame(first));
      assert.equal(first.text, frames.disconnect(reason, false));
      assert.equal(first.header.toString('hex'), '81' + first.payload.length.toString(16).padStart(2, '0'));
      const close = await c.nextClose();
      assert.equal(close.code, 1000, `close code (reason ${JSON.stringify(close.reason)})`);
      assert.equal(close.frame.masked, false);
      assert.deepEqual(c.frames.map((f) => f.opcode), [OP.TEXT, OP.CLOSE], c.frames.map(describeFrame).join(', '));
      c.sendClose(1000);
      await c.waitEnd();
      assert.deepEqual(c.frames.map((f) => f.opcode), [OP.TEXT, OP.CLOSE], 'nothing may follow the close frame');
    }

    it('missing token: unauthorized', () => assertRefused({}, 'unauthorized'));
    it('a token that is not a JWT: unauthorized', () => assertRefused({ token: 'not-a-token' }, 'unauthorized'));
    it('a token signed with another secret: unauthorized',
      () => assertRefused({ token: mintToken(1, { secret: 'some-other-secret-0123456789abcdef' }) }, 'unauthorized'));
    it('a token whose payload was changed after signing: unauthorized', () => {
      const [h, p, s] = server.token(1).split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      claims.community_member_id = 2;
      const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
      return assertRefused({ token: forged }, 'unauthorized');
    });
    it('a token with alg "none": unauthorized', () => {
      const [, p] = server.token(1).split('.');
      const none = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
      return assertRefused({ token: `${none}.${p}.` }, 'unauthorized');
    });
    it('a token of another community: unauthorized', () => assertRefused({ token: server.token(1, { community: 2 }) }, 'unauthorized'));
    it('an expired token: token_expired', () => assertRefused({ token: server.token(1, { ttl: -10 }) }, 'token_expired'));
    it('finds ?token= among other query parameters', async () => {
      const c = await raw({ path: `/cable?lang=en&token=${server.token(1)}&x=` });
      assert.equal(c.head.status, 101, c.head.raw);
      await c.next((f) => f.opcode === OP.TEXT && WELCOME_RE.test(f.text), 5000, 'welcome');
    });

    it('a bad token in ?token=: unauthorized', () => assertRefused({ path: '/cable?token=garbage' }, 'unauthorized'));
    it('an expired token in ?token=: token_expired',
      () => assertRefused({ path: `/cable?token=${server.token(1, { ttl: -10 })}` }, 'token_expired'));

    it('a ws client sees the unauthorized frame and close code 1000', async () => {
      const c = await ws({ token: 'garbage' });
      const info = await c.waitClose();
      assert.deepEqual(c.frames.map((f) => f.text), [frames.disconnect('unauthorized', false)]);
      assert.equal(info.code, 1000);
    });
  });

  describe('subprotocol', () => {
    const cases = [
      [['actioncable-v1-json', 'actioncable-unsupported'], 'actioncable-v1-json'],
      [['actioncable-v1-json'], 'actioncable-v1-json'],
      // The extended protocol whenever it is offered (its clients never offer both).
      [['actioncable-v1-ext-json', 'actioncable-v1-json'], 'actioncable-v1-ext-json'],
      [['actioncable-v1-ext-json'], 'actioncable-v1-ext-json'],
      // SPEC 2.1: when actioncable-v1-json is offered the server selects it, wherever it is listed.
      [['actioncable-unsupported', 'actioncable-v1-json'], 'actioncable-v1-json'],
      [null, undefined],
      [['foo'], undefined],
    ];
    for (const [offer, picked] of cases) {
      it(`offer ${JSON.stringify(offer)} -> ${picked === undefined ? 'no header' : picked}, welcomed`, async () => {
        const c = await raw({ token: server.token(1), protocols: offer });
        assert.equal(c.head.status, 101, c.head.raw);
        assert.equal(c.head.headers['sec-websocket-protocol'], picked);
        await c.next((f) => f.opcode === OP.TEXT && WELCOME_RE.test(f.text), 5000, 'welcome');
      });
    }
  });

  describe('pings', () => {
    it('pings every --ping-interval seconds with the current unix seconds', { timeout: 15000 }, async () => {
      const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1) });
      wss.push(c);
      const welcomeAt = c.frames[0].at;
      await c.until(() => c.frames.filter((f) => PING_RE.test(f.text)).length >= 4, { timeoutMs: 7000, what: '4 pings' });
      const pings = c.frames.filter((f) => PING_RE.test(f.text)).slice(0, 4);
      assert.ok(pings[0].at - welcomeAt <= 4000, `first ping ${pings[0].at - welcomeAt} ms after the welcome`);
      // The spacing by the server's own stamps (arrival times bunch up when this process
      // stalls): one second apart, give or take the tick's jitter, so 4 pings span 2 to 4 s.
      const values = pings.map((p) => Number(PING_RE.exec(p.text)[1]));
      for (let i = 1; i < values.length; i++) {
        const step = values[i] - values[i - 1];
        assert.ok(step >= 0 && step <= 2, `ping values ${values}: expected one a second`);
      }
      const span = values[3] - values[0];
      assert.ok(span >= 2 && span <= 4, `4 pings over ${span} s (${values}), expected about 3`);
      for (const p of pings) {
        const v = Number(PING_RE.exec(p.text)[1]);
        const t = Math.floor(p.at / 1000);
        assert.ok(v >= t - 3 && v <= t + 1, `ping value ${v}, received at unix second ${t}`);
      }
      assert.equal(c.frames.filter((f) => !PING_RE.test(f.text)).length, 1, 'only the welcome and pings');
    });
  });

  describe('requests that are not valid upgrades', () => {
    it('a plain GET /cable gets a 4xx', async () => {
      const r = await request(server.port, { path: '/cable', headers: { Origin: ORIGIN, Authorization: `Bearer ${server.token(1)}` } });
      assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
      await assertStillServes();
    });

    it('Sec-WebSocket-Version 8 gets a 4xx naming version 13 (RFC 6455 §4.4)', async () => {
      const c = await raw({ token: server.token(1), headers: { 'Sec-WebSocket-Version': '8' } });
      assert.ok(c.head.status >= 400 && c.head.status < 500, c.head.raw);
      assert.match(c.head.headers['sec-websocket-version'] || '', /\b13\b/, c.head.raw);
      await assertStillServes();
    });

    it('a missing Sec-WebSocket-Key gets a 4xx', async () => {
      const c = await raw({ token: server.token(1), headers: { 'Sec-WebSocket-Key': null } });
      assert.ok(c.head.status >= 400 && c.head.status < 500, c.head.raw);
      await assertStillServes();
    });

    it('an upgrade on another path gets 404', async () => {
      const c = await raw({ path: '/nope', token: server.token(1) });
      assert.equal(c.head.status, 404, c.head.raw);
    });
  });
});

describe('configuration from the environment', () => {
  after(stopAll);

  it('reads CABLED_* variables, and flags win over them', { timeout: 20000 }, async () => {
    const envSecret = 'env-secret-0123456789abcdef0123456789';
    const server = await startServer({
      bare: true,
      env: {
        CABLED_SECRET: envSecret,
        CABLED_APP_TOKEN: 'env-app-token',
        CABLED_ALLOWED_ORIGIN: 'https://env.example',
        CABLED_PING_INTERVAL: '1',
      },
      args: ['--app-token', 'flag-app-token'],
      appToken: 'flag-app-token',
      members: 1,
    });
    server.secret = envSecret;
    const c = await CableClient.connectWelcomed(server.wsUrl, { origin: 'https://env.example', token: server.token(1) });
    try {
      // Two pings a second apart by their stamps (the default interval is 3 s).
      const first = Number(PING_RE.exec(await c.expect((s) => PING_RE.test(s), { timeoutMs: 8000, what: 'a ping' }))[1]);
      const second = Number(PING_RE.exec(await c.expect((s) => PING_RE.test(s), { timeoutMs: 8000, what: 'a second ping' }))[1]);
      assert.ok(second - first <= 2, `pings at ${first} and ${second}: CABLED_PING_INTERVAL=1 was not applied`);
    } finally {
      c.terminate();
    }
    const flag = await broadcast(server, { stream: 'x', data: 1 }, { token: 'flag-app-token' });
    assert.equal(flag.status, 202, flag.body);
    const env = await broadcast(server, { stream: 'x', data: 1 }, { token: 'env-app-token' });
    assert.equal(env.status, 401, env.body);
  });
});

describe('cabled token', () => {
  it('prints an HS256 JWT with community_id, community_member_id, exp and jti', () => {
    const now = Math.floor(Date.now() / 1000);
    const t1 = mintToken(5, { secret: SECRET });
    const t2 = mintToken(5, { secret: SECRET, community: 3, ttl: 60 });
    const [h, p] = t1.split('.').map((x, i) => (i < 2 ? JSON.parse(Buffer.from(x, 'base64url').toString()) : x));
    assert.equal(h.alg, 'HS256');
    assert.equal(p.community_id, 1);
    assert.equal(p.community_member_id, 5);
    assert.ok(Math.abs(p.exp - (now + 3600)) <= 5, `exp ${p.exp}, now ${now}`);
    assert.equal(typeof p.jti, 'string');
    assert.ok(p.jti.length > 0);
    const p2 = JSON.parse(Buffer.from(t2.split('.')[1], 'base64url').toString());
    assert.equal(p2.community_id, 3);
    assert.ok(Math.abs(p2.exp - (now + 60)) <= 5);
    assert.notEqual(p2.jti, p.jti);
    const crypto = require('node:crypto');
    const [eh, ep, es] = t1.split('.');
    assert.equal(crypto.createHmac('sha256', SECRET).update(`${eh}.${ep}`).digest('base64url'), es, 'signature');
  });
});
