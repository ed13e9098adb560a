// The database failing under a running server: its directory removed (rm -rf), the file
// replaced by another, the disk full (a small tmpfs, when this machine lets us mount one). No
// write may be acknowledged that is not in the database file; writes get 503 in Circle's error
// shape, and GET /health answers 503 {"status":"unhealthy","problems":{…}} while it lasts.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, stopAll } = require('./lib/server');
const { request, api } = require('./lib/http');
const { chatMember, call } = require('./lib/chat');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls GET /health until pred(status, json) holds; resolves with the last answer. */
async function healthUntil(server, pred, timeoutMs = 5000) {
  const t0 = Date.now();
  for (;;) {
    const r = await request(server.port, { path: '/health' });
    const body = r.status === 200 || r.status === 503 ? r.json() : null;
    if (pred(r.status, body) || Date.now() - t0 > timeoutMs) return { status: r.status, body };
    await sleep(100);
  }
}

/** Posts a message as member in room; resolves with the raw answer. */
function post(server, member, room, body) {
  return call(server, member, 'POST', `/messages/${room.uuid}/chat_room_messages`, { body });
}

function assertUnavailable(r, what) {
  assert.equal(r.status, 503, `${what}: ${r.status} ${r.body}`);
  const body = r.json();
  assert.equal(body.success, false, what);
  assert.match(body.message, /^Service unavailable/, what);
  assert.deepEqual(body.error_details, {}, what);
}

/** A server on a database at dir/cabled.db, with two members sharing a room. */
async function serverWithRoom(dir) {
  const server = await startServer({ args: ['--db', `sqlite:${path.join(dir, 'cabled.db')}`] });
  const ann = await chatMember(server, 'Ann');
  const bob = await chatMember(server, 'Bob');
  const room = await server.createRoom([ann.id, bob.id]);
  return { server, ann, room };
}

describe('the database removed or replaced', () => {
  const dirs = [];
  after(async () => {
    await stopAll();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('rm -rf of its directory: writes get 503, /health turns unhealthy', { timeout: 30000 }, async () => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-db-'));
    dirs.push(top);
    const dir = path.join(top, 'data');
    fs.mkdirSync(dir);
    const { server, ann, room } = await serverWithRoom(dir);
    const ok = await post(server, ann, room, 'before');
    assert.equal(ok.status, 202, ok.body);
    assert.equal((await request(server.port, { path: '/health' })).status, 200);

    fs.rmSync(dir, { recursive: true, force: true });
    for (let i = 0; i < 3; i++) assertUnavailable(await post(server, ann, room, `after ${i}`), `post ${i} after rm -rf`);
    assertUnavailable(await api(server, 'POST', '/api/admin/v2/community_members', { email: 'x@example.com', name: 'X' }),
      'creating a member after rm -rf');
    const h = await healthUntil(server, (s) => s === 503);
    assert.equal(h.status, 503);
    assert.equal(h.body.status, 'unhealthy');
    assert.ok(h.body.problems && typeof h.body.problems.database === 'string', JSON.stringify(h.body));
    assert.match(h.body.problems.database, /the database file is gone or was replaced/);
  });

  it('noticed without a write: /health turns unhealthy by itself', { timeout: 30000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-db-'));
    dirs.push(dir);
    const { server } = await serverWithRoom(dir);
    fs.rmSync(path.join(dir, 'cabled.db'));
    const h = await healthUntil(server, (s) => s === 503, 5000);
    assert.equal(h.status, 503, JSON.stringify(h.body));
  });

  it('the file replaced by another database: writes get 503', { timeout: 30000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-db-'));
    dirs.push(dir);
    const { server, ann, room } = await serverWithRoom(dir);
    const db = path.join(dir, 'cabled.db');
    fs.copyFileSync(db, `${db}.copy`);
    fs.renameSync(`${db}.copy`, db);
    assertUnavailable(await post(server, ann, room, 'into the old file'), 'post after the file was replaced');
    const h = await healthUntil(server, (s) => s === 503);
    assert.equal(h.status, 503);
  });
});

describe('a full disk', () => {
  let mnt = null;
  let skip = null;
  before(() => {
    mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-full-'));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (r.status !== 0) skip = `cannot mount a tmpfs here (${(r.stderr || r.error || '').toString().trim()}): run as root`;
  });
  after(async () => {
    await stopAll();
    if (!skip) spawnSync('umount', ['-l', mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  });

  it('writes get 503 and /health is unhealthy while the disk is full, and both recover', { timeout: 60000 }, async (t) => {
    if (skip) {
      console.log(`# SKIPPED: ${skip}`);
      t.skip(skip);
      return;
    }
    const { server, ann, room } = await serverWithRoom(mnt);
    const filler = path.join(mnt, 'filler');
    // Fill what is left, one block at a time, until the file system refuses.
    const fd = fs.openSync(filler, 'w');
    const block = Buffer.alloc(4096, 1);
    try { for (;;) fs.writeSync(fd, block); } catch (e) { assert.equal(e.code, 'ENOSPC'); }
    fs.closeSync(fd);

    let refused = null;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await post(server, ann, room, `message ${i} `.repeat(50));
      if (r.status !== 202) refused = r;
    }
    assert.ok(refused, 'every post was acknowledged on a full disk');
    assertUnavailable(refused, 'a post on a full disk');
    const h = await healthUntil(server, (s) => s === 503);
    assert.equal(h.status, 503);
    assert.match(h.body.problems.disk, /the database disk is full/);

    fs.rmSync(filler);
    const back = await healthUntil(server, (s) => s === 200, 5000);
    assert.equal(back.status, 200, JSON.stringify(back.body));
    const ok = await post(server, ann, room, 'after');
    assert.equal(ok.status, 202, ok.body);
  });
});
