// AnyCable's extended Action Cable protocol (actioncable-v1-ext-json) with the official client,
// @anycable/core from npm (lib/anycable.js), and with raw `ws` clients for the exact frames:
// subprotocol and token transports, positions on broadcasts, history by `since` and by
// position (confirm_history / reject_history), session recovery after an abrupt drop (exactly
// the messages missed, in order, restored:true), catch-up under a live stream (no gap, nothing
// twice), refusals of bad input; and the plain protocol on the same server, byte for byte as
// before. Whispers, presence, tokens and clusters: extended_*.test.js.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { CableClient, closeAll, ident, frames } = require('./lib/clients');
const { publish } = require('./lib/http');
const { anyCable, watch, until, nextConnect, drop, framesOf } = require('./lib/anycable');

const EXT = 'actioncable-v1-ext-json';
const NOTIF = ident({ channel: 'NotificationChannel' });
const EXT_WELCOME_RE = /^\{"type":"welcome","sid":"([A-Za-z0-9_-]{21})"\}$/;

/** A raw ws client on the extended protocol, welcomed. */
async function extClient(server, member, opts = {}) {
  const c = await CableClient.connectWelcomed(server.wsUrl + (opts.query || ''),
    { token: server.token(member), protocols: [EXT], ...opts });
  return c;
}

/** Broadcasts {"n": n} on stream. */
const send = (server, stream, n) => publish(server, { stream, data: { n } });

describe('extended protocol', () => {
  let server;
  const raws = [];
  const cables = [];
  before(async () => { server = await startServer({ pingInterval: 1, members: 4, single: true }); });
  after(async () => {
    closeAll(raws);
    for (const c of cables) c.disconnect();
    await stopAll();
  });

  describe('negotiation and tokens', () => {
    it('the client offering the extended protocol gets it, a 21-character sid and no restored', async () => {
      const cable = await anyCable(server.wsUrl, server.token(1), { connect: true });
      cables.push(cable);
      const s = cable.sockets[0];
      assert.equal(s.protocol, EXT);
      assert.match(s.url, /[?&]jid=/);
      assert.match(s.frames[0], EXT_WELCOME_RE);
      cable.disconnect();
    });

    for (const strategy of ['header', 'sub-protocol']) {
      it(`the token by the client's '${strategy}' strategy; never echoed`, async () => {
        const cable = await anyCable(server.wsUrl, server.token(2), { strategy, connect: true });
        cables.push(cable);
        const s = cable.sockets[0];
        assert.equal(s.protocol, EXT);
        assert.match(s.frames[0], EXT_WELCOME_RE);
        if (strategy === 'sub-protocol') assert.ok(s.protocols.some((p) => p.startsWith('anycable-token.')));
        cable.disconnect();
      });
    }

    it('a bad token in any of those places is unauthorized', async () => {
      for (const strategy of ['param', 'header', 'sub-protocol']) {
        const cable = await anyCable(server.wsUrl, 'not.a.token', { strategy });
        cables.push(cable);
        await cable.connect().catch(() => {});
        await until(() => cable.sockets[0] && cable.sockets[0].closed, { what: 'the refusal' });
        assert.deepEqual(cable.sockets[0].frames, [frames.disconnect('unauthorized', false)], strategy);
      }
    });

    it('?sid= on a plain connection is ignored: an ordinary welcome, nothing restored', async () => {
      const a = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(1), protocols: [EXT] });
      raws.push(a);
      assert.equal(await a.subscribe(NOTIF), 'confirm');
      a.terminate();
      await new Promise((r) => setTimeout(r, 100));
      const p = await CableClient.connectWelcomed(`${server.wsUrl}?sid=${a.sid}`, { token: server.token(1) });
      raws.push(p);
      assert.notEqual(p.sid, a.sid);
      await p.barrier();
      assert.deepEqual(p.nonPings(), []);
    });
  });

  describe('positions and history', () => {
    it('broadcasts carry stream_id, epoch and consecutive offsets to the client\'s listener', async () => {
      const cable = await anyCable(server.wsUrl, server.token(3));
      cables.push(cable);
      const ch = cable.subscribeTo('NotificationChannel');
      const w = watch(ch);
      await ch.ensureSubscribed();
      for (let n = 1; n <= 3; n++) await send(server, 'notification-channel-3', n);
      await until(() => w.messages.length === 3, { what: '3 messages' });
      const metas = w.messages.map(([, meta]) => meta);
      assert.deepEqual(w.messages.map(([m]) => m), [{ n: 1 }, { n: 2 }, { n: 3 }]);
      for (const m of metas) assert.equal(m.stream, 'notification-channel-3');
      assert.equal(new Set(metas.map((m) => m.epoch)).size, 1);
      assert.match(metas[0].epoch, /^[A-Za-z0-9_-]{1,15}$/);
      assert.deepEqual(metas.map((m) => m.offset - metas[0].offset), [0, 1, 2]);
      cable.disconnect();
    });

    it('plain clients on the same stream get exactly the frames of before: no extended field', async () => {
      const plain = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(3) });
      const ext = await extClient(server, 3);
      raws.push(plain, ext);
      assert.equal(await plain.subscribe(NOTIF), 'confirm');
      assert.equal(await ext.subscribe(NOTIF), 'confirm');
      await send(server, 'notification-channel-3', 'plain');
      await plain.expect(frames.data(NOTIF, '{"n":"plain"}'));
      const f = JSON.parse(await ext.expect((s) => s.includes('"plain"')));
      assert.deepEqual(Object.keys(f), ['identifier', 'message', 'stream_id', 'epoch', 'offset']);
      assert.equal(f.stream_id, 'notification-channel-3');
      // A whisper or presence command is unknown on a plain connection: ignored, nothing sent.
      plain.send({ command: 'history', identifier: NOTIF, history: { since: 1 } });
      plain.send({ command: 'presence', identifier: NOTIF, data: {} });
      plain.send({ command: 'pong' });
      await plain.barrier();
      assert.deepEqual(plain.nonPings(), []);
    });

    it('history by position inside subscribe: the missed messages after the confirmation, then confirm_history', async () => {
      const a = await extClient(server, 4);
      raws.push(a);
      assert.equal(await a.subscribe(NOTIF), 'confirm');
      await send(server, 'notification-channel-4', 1);
      const first = JSON.parse(await a.expect((s) => s.includes('"n":1')));
      a.terminate();
      for (let n = 2; n <= 4; n++) await send(server, 'notification-channel-4', n);
      const b = await extClient(server, 4);
      raws.push(b);
      b.send({
        command: 'subscribe', identifier: NOTIF,
        history: { since: 0, streams: { 'notification-channel-4': { epoch: first.epoch, offset: first.offset } } },
      });
      await b.expect(frames.confirm(NOTIF));
      const got = [];
      for (let n = 2; n <= 4; n++) got.push(JSON.parse(await b.expect((s) => s.includes(`"n":${n}`))));
      assert.deepEqual(got.map((f) => f.offset), [first.offset + 1, first.offset + 2, first.offset + 3]);
      await b.expect(`{"identifier":${JSON.stringify(NOTIF)},"type":"confirm_history"}`);
      await send(server, 'notification-channel-4', 5);
      const live = JSON.parse(await b.expect((s) => s.includes('"n":5')));
      assert.equal(live.offset, first.offset + 4);
      await b.barrier();
      assert.deepEqual(b.nonPings(), [], 'nothing twice');
    });

    it('history by since on the first subscribe (the client\'s historyTimestamp)', async () => {
      await send(server, 'notification-channel-2', 'before');
      const cable = await anyCable(server.wsUrl, server.token(2), { historyTimestamp: Math.floor(Date.now() / 1000) - 10 });
      cables.push(cable);
      const ch = cable.subscribeTo('NotificationChannel');
      const w = watch(ch);
      await ch.ensureSubscribed();
      await until(() => w.info.some((i) => i.type === 'history_received'), { what: 'history_received' });
      assert.ok(w.messages.some(([m]) => m.n === 'before'), JSON.stringify(w.messages));
      cable.disconnect();
    });

    it('bad history requests get reject_history, and the connection goes on', async () => {
      const c = await extClient(server, 1);
      raws.push(c);
      assert.equal(await c.subscribe(NOTIF), 'confirm');
      const rejected = (id) => `{"identifier":${JSON.stringify(id)},"type":"reject_history","streams":[]}`;
      const rejectedStream = `{"identifier":${JSON.stringify(NOTIF)},"type":"reject_history","streams":["notification-channel-1"]}`;
      c.send({ command: 'history', identifier: NOTIF, history: 'yesterday' });
      await c.expect(rejectedStream);
      c.send({ command: 'history', identifier: NOTIF, history: { since: 0, streams: {} } });
      await c.expect(rejectedStream);
      c.send({ command: 'history', identifier: NOTIF, history: { streams: { x: { epoch: 'e', offset: -1 } } } });
      await c.expect(rejectedStream);
      c.send({ command: 'history', identifier: NOTIF, history: { streams: { 'notification-channel-1': { epoch: 'nope', offset: 1 } } } });
      await c.expect(rejectedStream);
      c.send({ command: 'history', identifier: NOTIF });
      await c.expect(rejected(NOTIF));
      const other = ident({ channel: 'NotificationChannel', x: 1 });
      c.send({ command: 'history', identifier: other, history: { since: 1 } });
      await c.expect(rejected(other));
      await c.barrier();
      // A position at the newest offset: nothing to send, confirmed.
      await send(server, 'notification-channel-1', 'x');
      const f = JSON.parse(await c.expect((s) => s.includes('"x"')));
      c.send({ command: 'history', identifier: NOTIF, history: { streams: { 'notification-channel-1': { epoch: f.epoch, offset: f.offset } } } });
      await c.expect(`{"identifier":${JSON.stringify(NOTIF)},"type":"confirm_history"}`);
    });
  });

  describe('session recovery', () => {
    it('abrupt drop, 3 broadcasts, reconnect: restored:true, exactly those 3 in order, then live', async () => {
      const cable = await anyCable(server.wsUrl, server.token(1));
      cables.push(cable);
      const ch = cable.subscribeTo('NotificationChannel');
      const w = watch(ch);
      await ch.ensureSubscribed();
      await send(server, 'notification-channel-1', 0);
      await until(() => w.messages.some(([m]) => m.n === 0), { what: 'the first message' });
      // (The client's default history request may have brought earlier messages of the same second.)
      const seen = w.messages.length;
      const reconnected = nextConnect(cable);
      cable.reconnectMs = 2000; // away for longer than the 3 broadcasts take
      drop(cable);
      await until(() => cable.state !== 'connected', { what: 'the client to notice' });
      for (let n = 1; n <= 3; n++) await send(server, 'notification-channel-1', n);
      const sentAt = Date.now();
      const ev = await reconnected;
      assert.ok(cable.sockets[1].openedAt >= sentAt, 'the client came back before the 3 broadcasts were sent');
      assert.deepEqual(ev, { reconnect: true, restored: true });
      await until(() => w.messages.length === seen + 3, { what: 'the 3 missed messages' });
      await send(server, 'notification-channel-1', 4);
      await until(() => w.messages.length === seen + 4, { what: 'a live message' });
      const tail = w.messages.slice(seen - 1);
      assert.deepEqual(tail.map(([m]) => m.n), [0, 1, 2, 3, 4]);
      const offs = tail.map(([, m]) => m.offset);
      assert.deepEqual(offs.map((o) => o - offs[0]), [0, 1, 2, 3, 4]);
      // What went over the wire: the URL carried the old sid; the welcome restored the
      // subscription; no confirm_subscription; the history came before confirm_history.
      const [first, second] = cable.sockets;
      const sid = JSON.parse(first.frames[0]).sid;
      assert.ok(second.url.includes(`sid=${sid}`), second.url);
      const f2 = framesOf(second);
      assert.deepEqual(f2[0], { type: 'welcome', sid: f2[0].sid, restored: true, restored_ids: [ch.identifier] });
      assert.notEqual(f2[0].sid, sid);
      assert.ok(!f2.some((f) => f.type === 'confirm_subscription'));
      const types = f2.slice(1).map((f) => f.type || `n=${f.message.n}`);
      assert.deepEqual(types.slice(0, 4), ['n=1', 'n=2', 'n=3', 'confirm_history']);
      assert.ok(w.info.some((i) => i.type === 'history_received'));
      cable.disconnect();
    });

    it('a live stream across drop and restore: offsets strictly consecutive, nothing twice, nothing missing', async () => {
      const cable = await anyCable(server.wsUrl, server.token(2));
      cables.push(cable);
      const ch = cable.subscribeTo('NotificationChannel');
      const w = watch(ch);
      await ch.ensureSubscribed();
      let n = 0;
      let running = true;
      const pump = (async () => {
        while (running) { await send(server, 'notification-channel-2', ++n); await new Promise((r) => setTimeout(r, 10)); }
      })();
      await until(() => w.messages.length >= 5, { what: 'some messages' });
      const reconnected = nextConnect(cable);
      drop(cable);
      assert.equal((await reconnected).restored, true);
      const after = w.messages.length;
      await until(() => w.messages.length >= after + 10, { what: 'live messages after the restore' });
      running = false;
      await pump;
      await until(() => w.messages.some(([m]) => m.n === n), { what: 'the last message' });
      const ns = w.messages.map(([m]) => m.n).filter((x) => typeof x === 'number');
      const start = ns[0];
      assert.deepEqual(ns, Array.from({ length: ns.length }, (_, i) => start + i));
      const offs = w.messages.map(([, m]) => m.offset);
      for (let i = 1; i < offs.length; i++) assert.equal(offs[i], offs[i - 1] + 1);
      cable.disconnect();
    });

    it('an unknown sid is an ordinary welcome; the client subscribes again with its positions and catches up', async () => {
      const a = await extClient(server, 3);
      raws.push(a);
      assert.equal(await a.subscribe(NOTIF), 'confirm');
      await send(server, 'notification-channel-3', 'seen');
      const seen = JSON.parse(await a.expect((s) => s.includes('"seen"')));
      a.terminate();
      await send(server, 'notification-channel-3', 'missed');
      const b = await extClient(server, 3, { query: '?sid=AAAAAAAAAAAAAAAAAAAAA' });
      raws.push(b);
      b.send({ command: 'subscribe', identifier: NOTIF, history: { since: 1, streams: { 'notification-channel-3': { epoch: seen.epoch, offset: seen.offset } } } });
      await b.expect(frames.confirm(NOTIF));
      const missed = JSON.parse(await b.expect((s) => s.includes('"missed"')));
      assert.equal(missed.offset, seen.offset + 1);
      await b.expect(`{"identifier":${JSON.stringify(NOTIF)},"type":"confirm_history"}`);
      // An empty sid= is no sid at all.
      const e = await extClient(server, 3, { query: '?sid=' });
      raws.push(e);
    });

    it('a sid restores once, and only for its own member', async () => {
      const a = await extClient(server, 4);
      raws.push(a);
      assert.equal(await a.subscribe(NOTIF), 'confirm');
      a.terminate();
      await new Promise((r) => setTimeout(r, 200));
      // Member 1's token with member 4's sid: not restored, nothing of member 4's.
      const x = await CableClient.connect(`${server.wsUrl}?sid=${a.sid}`, { token: server.token(1), protocols: [EXT] });
      raws.push(x);
      await x.expect((s) => EXT_WELCOME_RE.test(s), { what: 'an ordinary welcome' });
      // Member 4 restores it, through the header.
      const b = await CableClient.connect(server.wsUrl, { token: server.token(4), protocols: [EXT], headers: { 'X-AnyCable-Restore-SID': a.sid } });
      raws.push(b);
      const w = JSON.parse(await b.expect((s) => s.startsWith('{"type":"welcome"')));
      assert.deepEqual(w, { type: 'welcome', sid: w.sid, restored: true, restored_ids: [NOTIF] });
      await send(server, 'notification-channel-4', 'after');
      await b.expect((s) => s.includes('"after"'), { timeoutMs: 15000 });
      // Restored once: the same sid again is an ordinary welcome.
      const c = await CableClient.connect(`${server.wsUrl}?sid=${a.sid}`, { token: server.token(4), protocols: [EXT] });
      raws.push(c);
      await c.expect((s) => EXT_WELCOME_RE.test(s), { what: 'an ordinary welcome' });
    });

    it('history lost (more missed than kept): reject_history, and the client\'s handler fires', async () => {
      const small = await startServer({ pingInterval: 1, members: 1, single: true, args: ['--history-limit', '2'] });
      const cable = await anyCable(small.wsUrl, small.token(1));
      cables.push(cable);
      const ch = cable.subscribeTo('NotificationChannel');
      const w = watch(ch);
      await ch.ensureSubscribed();
      await send(small, 'notification-channel-1', 0);
      await until(() => w.messages.length === 1, { what: 'the first message' });
      const reconnected = nextConnect(cable);
      cable.reconnectMs = 2000; // away for longer than the 5 broadcasts take
      drop(cable);
      await until(() => cable.state !== 'connected', { what: 'the client to notice' });
      for (let n = 1; n <= 5; n++) await send(small, 'notification-channel-1', n);
      const sentAt = Date.now();
      assert.equal((await reconnected).restored, true);
      assert.ok(cable.sockets[1].openedAt >= sentAt, 'the client came back before the 5 broadcasts were sent');
      await until(() => w.info.some((i) => i.type === 'history_not_found'), { what: 'history_not_found' });
      const f = framesOf(cable.sockets[1]).find((x) => x.type === 'reject_history');
      assert.deepEqual(f, { identifier: ch.identifier, type: 'reject_history', streams: ['notification-channel-1'] });
      assert.deepEqual(w.messages.map(([m]) => m.n), [0], 'nothing of a history with a gap');
      cable.disconnect();
    });
  });
});
