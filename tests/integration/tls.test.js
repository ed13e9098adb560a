// TLS: cabled with --tls-cert and --tls-key, certificates from a test PKI made with the openssl
// CLI at test time (lib/tls.js: root CA -> intermediate -> leaf; the server sends the chain,
// clients trust the root alone):
//   - node `ws` over wss:// gets the exact welcome, confirm and broadcast frames; the official
//     @rails/actioncable client connects, subscribes and receives over wss://; REST over HTTPS;
//     a permessage-deflate client and a plain one get the same broadcast over wss://;
//   - ALPN http/1.1 (chosen from h2,http/1.1; no ALPN is fine; h2 alone is refused), TLS 1.2
//     and 1.3 accepted with forward-secret AEAD ciphers, TLS 1.1 refused;
//   - SIGHUP swaps the certificate for new handshakes while a wss:// connection made before
//     keeps receiving broadcasts, and a certificate that does not load keeps the old one;
//   - a client that stalls mid-handshake is closed at --tls-handshake-timeout-ms and does not
//     hold up anyone else; bytes that are not a ClientHello are closed at once; hundreds of
//     aborted handshakes leave the server serving (and, in the sanitizer runs, leak nothing).

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const tls = require('node:tls');
const WebSocket = require('ws');
const { startServer, stopAll, ORIGIN } = require('./lib/server');
const { request, publish } = require('./lib/http');
const { CableClient, closeAll, frames, ident, isPing, WELCOME_RE } = require('./lib/clients');
const { makePki } = require('./lib/tls');

const HANDSHAKE_MS = 1000;

/** The first bytes of a ClientHello: a handshake record announcing 512 bytes, of which only the
 *  record header, the handshake header, the version and part of the random ever arrive. */
const PARTIAL_CLIENT_HELLO = Buffer.concat([
  Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
  Buffer.alloc(16, 0x5a),
]);

/** Resolves with {socket, alpn, protocol, cipher, cn} of a TLS connection, or rejects with the
 *  handshake's error. */
function tlsConnect(port, opts = {}) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...opts });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      resolve({
        socket, alpn: socket.alpnProtocol, protocol: socket.getProtocol(), cipher: socket.getCipher(),
        cn: peer && peer.subject ? peer.subject.CN : undefined,
      });
    });
    socket.once('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no TLS handshake within 5 s')));
  });
}

/** A raw TCP socket; resolves once connected. Collects what it receives in sock.got, sock.gone resolves and sets
 *  sock.closedAt when the server closes it. */
function rawConnect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.got = Buffer.alloc(0);
    sock.gone = new Promise((r) => sock.once('close', () => { sock.closedAt = Date.now(); r(); }));
    sock.on('data', (d) => { sock.got = Buffer.concat([sock.got, d]); });
    sock.on('error', () => {});
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

/** Resolves once re matches the server's log; rejects after timeoutMs. */
async function waitLog(server, re, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(server.stderr + server.stdout)) {
    if (Date.now() > deadline) throw new Error(`no log line ${re} within ${timeoutMs} ms; log:\n${server.logTail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function metric(text, name) {
  const m = new RegExp(`^cabled_${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('TLS', () => {
  let pki, a, b, live, server;
  let clients = [];
  let sockets = [];

  before(async () => {
    pki = makePki();
    a = pki.serverCert('server-a');
    b = pki.serverCert('server-b');
    // The server reads these paths; the reload test replaces their contents.
    live = { cert: path.join(pki.dir, 'live.pem'), key: path.join(pki.dir, 'live.key'), ca: pki.ca };
    fs.copyFileSync(a.cert, live.cert);
    fs.copyFileSync(a.key, live.key);
    server = await startServer({
      tls: live, members: 2, single: true, args: ['--tls-handshake-timeout-ms', String(HANDSHAKE_MS), '--log-level', 'debug'],
    });
  });
  afterEach(() => {
    closeAll(clients);
    clients = [];
    for (const s of sockets) s.destroy();
    sockets = [];
  });
  after(async () => {
    await stopAll();
    if (pki) pki.cleanup();
  });

  async function wss(member = 1, opts = {}) {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: opts.token || server.token(member), wsOptions: { ca: pki.caPem }, ...opts });
    clients.push(c);
    return c;
  }

  describe('clients over wss:// and https://', () => {
    it('prints https:// and serves wss:// with the exact welcome, confirm and broadcast frames', async () => {
      assert.match(server.stdout, /cabled listening on https:\/\/127\.0\.0\.1:\d+/);
      assert.match(server.wsUrl, /^wss:\/\//);
      const c = await wss(1);
      const w = c.frames.find((f) => WELCOME_RE.test(f.text));
      assert.ok(w, 'a welcome frame');
      const id = ident({ channel: 'NotificationChannel', community_member_id: 1 });
      assert.equal(await c.subscribe(id), 'confirm');
      assert.deepEqual(c.frames.map((f) => f.text).filter((t) => !isPing(t)).slice(-1), [frames.confirm(id)]);
      await publish(server, { stream: 'notification-channel-1', data: { event: 'newNotification', data: { id: 7, title: 'Hi' } } });
      assert.equal(await c.expect((s) => !isPing(s)),
        String.raw`{"identifier":"{\"channel\":\"NotificationChannel\",\"community_member_id\":1}","message":{"event":"newNotification","data":{"id":7,"title":"Hi"}}}`);
    });

    it('refuses a wss:// client that does not trust the CA, and serves the next one', async () => {
      await assert.rejects(CableClient.connect(server.wsUrl, { token: server.token(1) }),
        (e) => /self[- ]signed|unable to (get|verify)|certificate/i.test(e.message) || e.code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      await wss(1);
    });

    it('answers REST calls over HTTPS, keep-alive included', async () => {
      const health = await request(server.port, { path: '/health', ca: pki.caPem });
      assert.equal(health.status, 200, health.body);
      const agent = new (require('node:https').Agent)({ keepAlive: true, maxSockets: 1, ca: pki.caPem });
      try {
        for (let i = 0; i < 3; i++) {
          const r = await new Promise((resolve, reject) => {
            require('node:https').get({ host: '127.0.0.1', port: server.port, path: '/health', agent }, (res) => {
              let body = '';
              res.on('data', (d) => { body += d; });
              res.on('end', () => resolve({ status: res.statusCode, body, reused: res.req.reusedSocket }));
            }).on('error', reject);
          });
          assert.equal(r.status, 200);
          assert.equal(r.reused, i > 0, 'the same TLS connection carries each request');
        }
      } finally { agent.destroy(); }
    });

    it('carries large frames both ways: a 300 KB broadcast arrives whole', async () => {
      const c = await wss(1);
      const id = ident({ channel: 'NotificationChannel', community_member_id: 1 });
      assert.equal(await c.subscribe(id), 'confirm');
      const big = 'x'.repeat(300 * 1024);
      await publish(server, { stream: 'notification-channel-1', data: { big } });
      assert.equal(await c.expect((s) => !isPing(s), { timeoutMs: 10000 }), frames.data(id, JSON.stringify({ big })));
    });

    it('permessage-deflate over wss://: compressed and plain clients get the same message', async () => {
      const id = ident({ channel: 'NotificationChannel', community_member_id: 1 });
      const z = await wss(1, { wsOptions: { ca: pki.caPem, perMessageDeflate: true } });
      const p = await wss(1, { wsOptions: { ca: pki.caPem, perMessageDeflate: false } });
      assert.match(z.ws.extensions, /^permessage-deflate/, 'the deflate client agreed on it');
      assert.equal(p.ws.extensions, '', 'the plain client did not');
      assert.equal(await z.subscribe(id), 'confirm');
      assert.equal(await p.subscribe(id), 'confirm');
      const text = 'chat message body '.repeat(400);
      await publish(server, { stream: 'notification-channel-1', data: { text } });
      const want = frames.data(id, JSON.stringify({ text }));
      assert.equal(await z.expect((s) => !isPing(s), { timeoutMs: 10000 }), want);
      assert.equal(await p.expect((s) => !isPing(s), { timeoutMs: 10000 }), want);
    });

    it('the official @rails/actioncable client connects, subscribes and receives over wss://', async () => {
      const sockets0 = [];
      class TrustingWebSocket extends WebSocket {
        constructor(url, protocols) {
          super(url, protocols, { headers: { Origin: ORIGIN }, ca: pki.caPem });
          this.received = [];
          sockets0.push(this);
          this.on('message', (d, isBinary) => { if (!isBinary) this.received.push(d.toString('utf8')); });
        }
      }
      const saved = globalThis.WebSocket;
      globalThis.WebSocket = TrustingWebSocket;
      if (typeof globalThis.addEventListener !== 'function') globalThis.addEventListener = () => {};
      if (typeof globalThis.removeEventListener !== 'function') globalThis.removeEventListener = () => {};
      const ActionCable = require('@rails/actioncable');
      ActionCable.adapters.WebSocket = TrustingWebSocket;
      const consumer = ActionCable.createConsumer(`${server.wsUrl}?token=${encodeURIComponent(server.token(1))}`);
      try {
        const events = [];
        let wake = () => {};
        const params = { channel: 'NotificationChannel', community_member_id: 1 };
        consumer.subscriptions.create(params, {
          connected() { events.push(['connected']); wake(); },
          rejected() { events.push(['rejected']); wake(); },
          received(m) { events.push(['received', m]); wake(); },
        });
        const until = (pred, what) => new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(events)}`)), 5000);
          const check = () => { if (pred()) { clearTimeout(t); resolve(); } };
          wake = check;
          check();
        });
        await until(() => events.some((e) => e[0] === 'connected'), 'connected');
        await publish(server, { stream: 'notification-channel-1', data: { event: 'hello', n: 1 } });
        await until(() => events.some((e) => e[0] === 'received'), 'received');
        assert.deepEqual(events.find((e) => e[0] === 'received')[1], { event: 'hello', n: 1 });
        const ws = sockets0[0];
        assert.equal(ws.protocol, 'actioncable-v1-json');
        assert.match(ws.received[0], WELCOME_RE);
        assert.ok(ws.received.includes(frames.confirm(ident(params))), JSON.stringify(ws.received));
        assert.ok(ws.received.includes(frames.data(ident(params), '{"event":"hello","n":1}')));
      } finally {
        consumer.disconnect();
        globalThis.WebSocket = saved;
      }
    });
  });

  describe('protocol versions, ciphers and ALPN', () => {
    it('accepts TLS 1.3', async () => {
      const t = await tlsConnect(server.port, { ca: pki.caPem, minVersion: 'TLSv1.3' });
      sockets.push(t.socket);
      assert.equal(t.protocol, 'TLSv1.3');
      assert.match(t.cipher.name, /^TLS_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305)_SHA(256|384)$/);
    });

    it('accepts TLS 1.2 with an ECDHE AEAD cipher, and sends the chain to the root', async () => {
      const t = await tlsConnect(server.port, { ca: pki.caPem, maxVersion: 'TLSv1.2' });
      sockets.push(t.socket);
      assert.equal(t.protocol, 'TLSv1.2');
      assert.match(t.cipher.name, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
      assert.equal(t.cn, 'server-a');
      const chain = t.socket.getPeerCertificate(true);
      assert.equal(chain.issuerCertificate.subject.CN, 'cabled test intermediate CA');
    });

    it('refuses TLS 1.2 with only CBC or non-forward-secret ciphers', async () => {
      await assert.rejects(tlsConnect(server.port, { ca: pki.caPem, maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:ECDHE-ECDSA-AES128-SHA' }),
        /handshake failure|alert/i);
    });

    it('refuses TLS 1.1 (and so 1.0) with a protocol_version alert', async () => {
      await assert.rejects(
        tlsConnect(server.port, { ca: pki.caPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
        (e) => {
          assert.match(`${e.code} ${e.message}`, /PROTOCOL_VERSION|protocol version/i);
          return true;
        });
    });

    it('chooses http/1.1 by ALPN from h2 and http/1.1, and needs no ALPN', async () => {
      const t = await tlsConnect(server.port, { ca: pki.caPem, ALPNProtocols: ['h2', 'http/1.1'] });
      sockets.push(t.socket);
      assert.equal(t.alpn, 'http/1.1');
      const n = await tlsConnect(server.port, { ca: pki.caPem });
      sockets.push(n.socket);
      assert.equal(n.alpn, false);
    });

    it('refuses a client that offers h2 alone (no_application_protocol)', async () => {
      await assert.rejects(tlsConnect(server.port, { ca: pki.caPem, ALPNProtocols: ['h2'] }),
        (e) => /NO_APPLICATION_PROTOCOL|no application protocol/i.test(`${e.code} ${e.message}`));
    });
  });

  describe('certificate reload on SIGHUP', () => {
    it('new handshakes get the new certificate; a wss:// connection from before keeps receiving', async () => {
      const before = await tlsConnect(server.port, { ca: pki.caPem });
      before.socket.destroy();
      assert.equal(before.cn, 'server-a');
      const old = await wss(1);
      const id = ident({ channel: 'NotificationChannel', community_member_id: 1 });
      assert.equal(await old.subscribe(id), 'confirm');

      fs.copyFileSync(b.cert, live.cert);
      fs.copyFileSync(b.key, live.key);
      const reloads = (server.stderr.match(/tls reloaded/g) || []).length;
      server.proc.kill('SIGHUP');
      await waitLog(server, new RegExp(`(tls reloaded[^]*){${reloads + 1}}`));
      assert.match(server.stderr, /tls reloaded cert=\S+ subject="\/CN=server-b"/);

      const after1 = await tlsConnect(server.port, { ca: pki.caPem });
      after1.socket.destroy();
      assert.equal(after1.cn, 'server-b');
      await publish(server, { stream: 'notification-channel-1', data: { after: 'reload' } });
      assert.equal(await old.expect((s) => !isPing(s)), frames.data(id, '{"after":"reload"}'));
      assert.equal(old.closeInfo, null);
      const fresh = await wss(2);
      assert.match(fresh.sid, /^[A-Za-z0-9_-]{21}$/);
    });

    it('a certificate that does not load is logged and the one in use stays', async () => {
      const old = await wss(1);
      const id = ident({ channel: 'NotificationChannel', community_member_id: 1 });
      assert.equal(await old.subscribe(id), 'confirm');
      const inUse = (await tlsConnect(server.port, { ca: pki.caPem })).cn;
      fs.writeFileSync(live.cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
      server.proc.kill('SIGHUP');
      await waitLog(server, /tls reload failed, keeping the previous certificate: cannot load the certificate/);
      const t = await tlsConnect(server.port, { ca: pki.caPem });
      t.socket.destroy();
      assert.equal(t.cn, inUse);
      // A key that does not match the certificate is refused too.
      fs.copyFileSync(a.cert, live.cert);
      fs.copyFileSync(b.key, live.key);
      server.proc.kill('SIGHUP');
      await waitLog(server, /keeping the previous certificate: the key does not match|keeping the previous certificate: cannot load the key/);
      await publish(server, { stream: 'notification-channel-1', data: { still: 'here' } });
      assert.equal(await old.expect((s) => !isPing(s)), frames.data(id, '{"still":"here"}'));
      fs.copyFileSync(a.key, live.key);
    });
  });

  describe('handshakes that stall, fail or are abandoned', () => {
    it('closes a client that stalls mid-ClientHello at the deadline, serving others meanwhile', async () => {
      const token = server.token(1);
      // Before the connect: the server's deadline runs from its accept.
      const sent = Date.now();
      const stalled = await rawConnect(server.port);
      sockets.push(stalled);
      stalled.write(PARTIAL_CLIENT_HELLO);
      // Another client is served while the first one stalls: welcomed before the stalled one is
      // closed (a loop blocked by it would serve the other only after), or within 1 s.
      const t0 = Date.now();
      const c = await wss(1, { token });
      const took0 = Date.now() - t0;
      assert.ok(!stalled.closedAt || took0 < 1000, `a full handshake took ${took0} ms beside a stalled one, ` +
        `which was closed ${stalled.closedAt - sent} ms after its connect`);
      assert.equal(c.closeInfo, null);
      await Promise.race([stalled.gone, new Promise((r) => setTimeout(r, HANDSHAKE_MS + 3000))]);
      assert.ok(stalled.closedAt, `the stalled handshake was not closed within ${HANDSHAKE_MS + 3000} ms`);
      const took = stalled.closedAt - sent;
      assert.ok(took >= HANDSHAKE_MS - 50, `closed after ${took} ms, before the ${HANDSHAKE_MS} ms deadline`);
      assert.equal(stalled.got.length, 0, 'nothing is sent to a handshake that never completed its ClientHello');
    });

    it('closes a connection that sends plain HTTP or garbage instead of a ClientHello, at once', async () => {
      for (const junk of [Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
        Buffer.concat([Buffer.from([0x16, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 0xff)]),
        Buffer.alloc(100, 0)]) {
        const s = await rawConnect(server.port);
        sockets.push(s);
        const sent = Date.now();
        s.write(junk);
        await Promise.race([s.gone, new Promise((r) => setTimeout(r, 2000))]);
        assert.ok(s.closedAt && s.closedAt - sent < 1000, `not closed at once after ${JSON.stringify(junk.subarray(0, 8))}`);
        // Nothing, or a TLS alert record.
        if (s.got.length) assert.equal(s.got[0], 0x15, `answered ${s.got.toString('hex')}`);
      }
      await wss(1);
    });

    it('hundreds of aborted handshakes leave the server serving and counting them', async () => {
      const before = metric((await request(server.port, { path: '/metrics', ca: pki.caPem })).body, 'tls_handshakes_total');
      // Three waves of a hundred, each job settling however the server ends it.
      let served = 0;
      const settle = (sock, resolve) => { sock.on('error', () => {}); sock.once('close', resolve); };
      const waves = [
        // Half a ClientHello, then gone.
        () => new Promise((resolve) => {
          const s = net.connect(server.port, '127.0.0.1');
          settle(s, resolve);
          s.once('connect', () => { s.write(PARTIAL_CLIENT_HELLO); s.destroy(); });
        }),
        // A complete handshake and a request, then gone without close_notify.
        () => new Promise((resolve) => {
          const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caPem });
          settle(s, resolve);
          s.once('secureConnect', () => s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
          s.once('data', () => { served++; s.destroy(); });
        }),
        // Gone in the middle of the handshake, once the ClientHello is out.
        () => new Promise((resolve) => {
          const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caPem });
          settle(s, resolve);
          s.once('connect', () => setImmediate(() => s.destroy()));
        }),
      ];
      for (const job of waves) await Promise.all(Array.from({ length: 100 }, job));
      assert.ok(served >= 90, `only ${served} of 100 TLS requests were answered`);
      const c = await wss(1);
      const id = ident({ channel: 'NotificationChannel', community_member_id: 1 });
      assert.equal(await c.subscribe(id), 'confirm');
      await publish(server, { stream: 'notification-channel-1', data: { after: 'aborts' } });
      assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, '{"after":"aborts"}'));
      const text = (await request(server.port, { path: '/metrics', ca: pki.caPem })).body;
      assert.ok(metric(text, 'tls_handshakes_total') >= before + served, text);
      assert.ok(metric(text, 'tls_handshake_timeouts_total') >= 1, 'the stalled client of the test before');
      assert.ok(metric(text, 'tls_handshake_failures_total') >= 3, 'the garbage of the test before');
    });
  });
});

describe('TLS flags and make run TLS=1', () => {
  after(stopAll);

  it('serves the demo on https:// and wss:// with the certificate scripts/dev-cert.sh makes, and says so', async () => {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'cabled-devcert-'));
    try {
      const made = require('node:child_process').spawnSync(path.resolve(__dirname, '../../scripts/dev-cert.sh'), [dir], { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      assert.match(made.stdout, /made a self-signed certificate for DNS:localhost,IP:127\.0\.0\.1/);
      const again = require('node:child_process').spawnSync(path.resolve(__dirname, '../../scripts/dev-cert.sh'), [dir], { encoding: 'utf8' });
      assert.equal(again.stdout, '', 'a valid certificate is kept');
      const cert = path.join(dir, 'cert.pem');
      const server = await startServer({ single: true, origins: [], args: ['--demo'], tls: { cert, key: path.join(dir, 'key.pem'), ca: cert } });
      const p = server.port;
      await waitLog(server, /Hello from curl/);
      assert.match(server.stdout, new RegExp(`Chat page   https://127\\.0\\.0\\.1:${p}/ `));
      assert.match(server.stdout, new RegExp(`WebSocket   wss://127\\.0\\.0\\.1:${p}/cable`));
      assert.match(server.stdout, new RegExp(`^    https://localhost:${p}$`, 'm'));
      assert.match(server.stdout, new RegExp(`CABLE_URL=wss://127\\.0\\.0\\.1:${p}/cable CABLE_ORIGIN=https://localhost:${p} `));
      assert.match(server.stdout, new RegExp(`curl -X POST https://127\\.0\\.0\\.1:${p}/api/v1/broadcast`));
      assert.match(server.stdout, /curl --cacert \S+cert\.pem, NODE_EXTRA_CA_CERTS=/);
      const page = await request(p, { path: '/', ca: server.ca });
      assert.equal(page.status, 200);
      // A page on https://localhost:PORT is an allowed Origin; the demo hands out tokens.
      const t = await request(p, { method: 'POST', path: '/demo/token', body: '{"community_member_id":1}', ca: server.ca });
      assert.equal(t.status, 200, t.body);
      const c = await CableClient.connectWelcomed(`wss://localhost:${p}/cable`, {
        origin: `https://localhost:${p}`, token: JSON.parse(t.body).access_token, wsOptions: { ca: server.ca },
      });
      c.terminate();
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });

  it('refuses --tls-cert without --tls-key, and a certificate that does not load, before listening', async () => {
    const pki = makePki();
    try {
      const a = pki.serverCert('flags');
      await assert.rejects(startServer({ single: true, args: ['--tls-cert', a.cert] }), /--tls-cert and --tls-key go together/);
      await assert.rejects(startServer({ single: true, args: ['--tls-cert', a.key, '--tls-key', a.key] }), /cannot load the certificate/);
      await assert.rejects(startServer({ single: true, args: ['--tls-cert', a.cert, '--tls-key', path.join(pki.dir, 'missing.key')] }), /cannot load the key/);
    } finally { pki.cleanup(); }
  });
});
