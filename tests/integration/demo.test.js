// `cabled --demo`, as a person starting it meets it: the chat page and the official client served
// at / and /vendor/, safely (exact content types, nothing outside the page's files, no path
// tricks); the demo-only token routes, which do not exist without --demo; Origins that follow the
// port it listens on; and what it prints: the page first, every allowed Origin, the token
// lifetime with a command that mints a fresh token, and how to start over. Also `make run
// PORT=… HOST=…`, checked with `make -n`.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const { startServer, stopAll, BIN } = require('./lib/server');
const { request } = require('./lib/http');
const { CableClient, ident } = require('./lib/clients');

const ROOT = path.resolve(__dirname, '../..');
const CLIENT = path.join(ROOT, 'node_modules/@rails/actioncable/app/assets/javascripts/actioncable.esm.js');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Resolves once the demo's printout is complete (it follows the listening line). */
async function printed(server) {
  for (let i = 0; i < 200 && !server.stdout.includes('Hello from curl'); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(server.stdout.includes('Hello from curl'), `the demo printout:\n${server.stdout}`);
  return server.stdout;
}

/** Raw GET whose request line carries `target` byte for byte (no client-side normalising). */
function rawGet(port, target) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => resolve({ status: Number(data.split(' ')[1]), text: data }));
    sock.on('error', reject);
  });
}

describe('cabled --demo', () => {
  let server;
  before(async () => { server = await startServer({ bare: true, args: ['--demo'], single: true }); });
  after(stopAll);

  it('serves the chat page at / as HTML, with its script, styles and the npm client', async () => {
    const page = await request(server.port, { path: '/' });
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.match(page.headers['content-security-policy'], /default-src 'self'/);
    assert.equal(page.body, fs.readFileSync(path.join(ROOT, 'demo/index.html'), 'utf8'));
    assert.equal((await request(server.port, { path: '/index.html' })).body, page.body);
    for (const [file, type] of [['app.js', 'text/javascript; charset=utf-8'], ['style.css', 'text/css; charset=utf-8'],
      ['favicon.svg', 'image/svg+xml']]) {
      const r = await request(server.port, { path: `/${file}` });
      assert.equal(r.status, 200, file);
      assert.equal(r.headers['content-type'], type, file);
      assert.equal(r.body, fs.readFileSync(path.join(ROOT, 'demo', file), 'utf8'), file);
    }
    const client = await request(server.port, { path: '/vendor/actioncable.esm.js' });
    assert.equal(client.status, 200);
    assert.equal(client.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(client.body, fs.readFileSync(CLIENT, 'utf8'), 'the npm package, unchanged');
    assert.match(fs.readFileSync(path.join(ROOT, 'demo/app.js'), 'utf8'), /from '\/vendor\/actioncable\.esm\.js'/);
  });

  it('serves nothing else: no traversal, no other files, GET only', async () => {
    for (const target of ['/../Makefile', '/%2e%2e/Makefile', '/..%2fMakefile', '/demo/app.js', '/vendor/',
      '/vendor/../app.js', '//app.js', '/app.js/', '/.hidden', '/app.js%00.html', '/vendor/actioncable.js',
      '/node_modules/ws/package.json', '/index.html/..', '/README.md']) {
      const r = await rawGet(server.port, target);
      assert.equal(r.status, 404, `${target}: ${r.text.slice(0, 200)}`);
    }
    const post = await request(server.port, { method: 'POST', path: '/app.js', body: '' });
    assert.equal(post.status, 405);
  });

  it('lists the demo members and mints a token for each, and only for them', async () => {
    const r = await request(server.port, { path: '/demo/members' });
    assert.equal(r.status, 200);
    const { members, access_token_ttl: ttl } = r.json();
    assert.deepEqual(members.map((m) => m.name), ['Ada Lovelace', 'Grace Hopper', 'Alan Turing']);
    assert.equal(ttl, 3600);
    const tok = await request(server.port, { method: 'POST', path: '/demo/token', body: JSON.stringify({ community_member_id: members[1].community_member_id }) });
    assert.equal(tok.status, 200, tok.body);
    const { access_token: token, community_member_id: who } = tok.json();
    assert.equal(who, members[1].community_member_id);
    const c = await CableClient.connectWelcomed(server.wsUrl, { token, origin: server.httpUrl });
    assert.equal(await c.subscribe(ident({ channel: 'NotificationChannel', community_member_id: who })), 'confirm');
    c.close();
    const other = await request(server.port, { method: 'POST', path: '/demo/token', body: JSON.stringify({ community_member_id: 99 }) });
    assert.equal(other.status, 404);
    const bad = await request(server.port, { method: 'POST', path: '/demo/token', body: '{}' });
    assert.equal(bad.status, 400);
  });

  it('allows the page\'s Origin on this port, as localhost and as 127.0.0.1', async () => {
    const token = (await request(server.port, { method: 'POST', path: '/demo/token', body: '{"community_member_id":1}' })).json().access_token;
    for (const origin of [`http://localhost:${server.port}`, `http://127.0.0.1:${server.port}`]) {
      const c = await CableClient.connectWelcomed(server.wsUrl, { token, origin });
      c.close();
    }
    await assert.rejects(CableClient.connect(server.wsUrl, { token, origin: 'http://localhost:8080' }), (e) => e.status === 403);
  });

  it('prints the page first, every Origin, the token lifetime, how to mint one and how to start over', async () => {
    const out = await printed(server);
    const lines = out.split('\n');
    const first = lines.findIndex((l) => l.includes('http://'));
    assert.match(lines[first], /^cabled listening on http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(out, new RegExp(`Chat page +http://127\\.0\\.0\\.1:${server.port}/ `));
    assert.ok(out.indexOf('Chat page') < out.indexOf('WebSocket'), 'the page comes before everything else');
    for (const o of [`http://localhost:${server.port}`, `http://127.0.0.1:${server.port}`, 'https://your-whitelisted-domain.com']) {
      assert.ok(lines.includes(`    ${o}`), `${o} printed:\n${out}`);
    }
    assert.match(out, /valid for 3600s \(--access-token-ttl\), until \d{4}-\d\d-\d\dT/);
    const mint = /^ {2}(\S+) token --member ID (--db \S+)$/m.exec(out);
    assert.ok(mint, `a token command:\n${out}`);
    assert.match(out, /To start over, stop cabled and remove it:\n +rm -f cabled\.db cabled\.db-wal cabled\.db-shm +\(or: make demo-reset\)/);
  });

  it('the printed token command mints a token that works', async () => {
    const [, bin, , db] = /^ {2}(\S+) token --member ID (--db (\S+))$/m.exec(server.stdout);
    const r = spawnSync(bin, ['token', '--member', '2', '--db', db.startsWith('sqlite:') && !db.startsWith('sqlite:/') ? `sqlite:${path.join(server.dir, db.slice(7))}` : db],
      { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: r.stdout.trim(), origin: server.httpUrl });
    c.close();
  });
});

describe('the demo on a port of its choosing', () => {
  after(stopAll);

  it('follows --listen, keeps a given --allowed-origin, and says so', async () => {
    const port = await freePort();
    const server = await startServer({ port, origins: ['https://app.example.com'], args: ['--demo'], single: true });
    await printed(server);
    for (const o of [`http://localhost:${port}`, `http://127.0.0.1:${port}`, 'https://app.example.com']) {
      assert.ok(server.stdout.split('\n').includes(`    ${o}`), `${o} printed:\n${server.stdout}`);
    }
    assert.ok(!server.stdout.includes(':8080'), 'nothing of port 8080');
    assert.ok(!server.stdout.includes('your-whitelisted-domain.com'), 'the seed Origin only when none is given');
    const token = (await request(port, { method: 'POST', path: '/demo/token', body: '{"community_member_id":1}' })).json().access_token;
    for (const origin of [`http://localhost:${port}`, 'https://app.example.com']) {
      (await CableClient.connectWelcomed(server.wsUrl, { token, origin })).close();
    }
  });

  it('has no demo routes and no page without --demo', async () => {
    const server = await startServer({ single: true });
    for (const p of ['/', '/app.js', '/vendor/actioncable.esm.js', '/demo/members']) {
      assert.equal((await request(server.port, { path: p })).status, 404, p);
    }
    assert.equal((await request(server.port, { method: 'POST', path: '/demo/token', body: '{"community_member_id":1}' })).status, 404);
  });

  it('make run takes PORT, HOST and TLS=1', () => {
    const run = (...vars) => {
      const r = spawnSync('make', ['-n', '--no-print-directory', 'run', ...vars], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PORT: '', HOST: '' } });
      return r.stdout.split('\n').find((l) => l.includes('cabled --demo'));
    };
    assert.match(run('PORT=9000'), /cabled --demo --listen 127\.0\.0\.1:9000$/);
    assert.match(run('PORT=9000', 'HOST=0.0.0.0'), /cabled --demo --listen 0\.0\.0\.0:9000$/);
    assert.match(run(), /cabled --demo\s*$/);
    assert.match(run('TLS=1'), /cabled --demo --tls-cert build\/tls\/cert\.pem --tls-key build\/tls\/key\.pem$/);
    assert.match(run('TLS=1', 'PORT=9443'), /cabled --demo --listen 127\.0\.0\.1:9443 --tls-cert build\/tls\/cert\.pem --tls-key build\/tls\/key\.pem$/);
    assert.ok(fs.existsSync(BIN));
  });
});
