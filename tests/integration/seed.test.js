// Runs the seed's own client, examples/websocket-connection-test.js (Circle's "Complete
// Implementation" plus the optional "Hello Server!" message), as a child process against cabled,
// and checks what it prints: "WebSocket connection opened.", the welcome with a 21-character sid,
// the confirm_subscription of its ChatRoomChannel identifier, pings (every second with
// --ping-interval 1), and a broadcast to chat-room-channel-<member>. The script's test message has
// no "command" and must be ignored without closing the connection.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const util = require('node:util');
const { startServer, stopAll } = require('./lib/server');
const { publish } = require('./lib/http');

const SCRIPT = path.resolve(__dirname, '../../examples/websocket-connection-test.js');
const MEMBER = 7;

describe('the seed websocket-connection-test.js script', () => {
  let server;
  const children = [];

  before(async () => { server = await startServer({ pingInterval: 1, members: MEMBER }); });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await stopAll();
  });

  it('connects, is welcomed, subscribes, gets pings and a broadcast', { timeout: 30000 }, async () => {
    const child = spawn(process.execPath, [SCRIPT], {
      env: {
        ...process.env,
        CABLE_URL: server.wsUrl,
        CABLE_ORIGIN: server.origin,
        CABLE_TOKEN: server.token(MEMBER),
        CABLE_MEMBER_ID: String(MEMBER),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    const waiters = new Set();
    const wake = () => { for (const w of [...waiters]) w(); };
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; wake(); });
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; wake(); });
    child.on('exit', wake);
    const until = (cond, what, ms = 8000) => new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        waiters.delete(check); clearTimeout(t); resolve();
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; stdout:\n${out}\nstderr:\n${err}\nserver log:\n${server.logTail()}`));
      }, ms);
      waiters.add(check);
      check();
    });

    try {
      const identifier = JSON.stringify({ channel: 'ChatRoomChannel', community_member_id: MEMBER });
      const confirmLine = util.format('Message from server:', { identifier, type: 'confirm_subscription' });
      await until(() => out.includes(confirmLine), 'the confirm_subscription line');

      // (A ping, every second here, may come between any two messages: left out.)
      const lines = out.split('\n').filter((l) => !/^Message from server: \{ type: 'ping', message: \d+ \}$/.test(l));
      assert.equal(lines[0], 'WebSocket connection opened.');
      assert.match(lines[1], /^Message from server: \{ type: 'welcome', sid: '[A-Za-z0-9_-]{21}' \}$/);
      // The confirm is the next message after the welcome (util.inspect may wrap it over lines).
      assert.equal(lines.slice(2).join('\n').indexOf(confirmLine), 0, `stdout:\n${out}`);

      const data = { event: 'newMessage', data: { id: 1, body: 'Hello from cabled' } };
      await publish(server, { stream: `chat-room-channel-${MEMBER}`, data });
      const dataLine = util.format('Message from server:', { identifier, message: data });
      await until(() => out.includes(dataLine), 'the broadcast line');

      const pings = () => [...out.matchAll(/^Message from server: \{ type: 'ping', message: (\d+) \}$/gm)].map((m) => Number(m[1]));
      await until(() => pings().length >= 3, 'three pings', 15000);
      const p = pings();
      const now = Math.floor(Date.now() / 1000);
      for (let i = 1; i < p.length; i++) assert.ok(p[i] >= p[i - 1], `ping seconds go backwards: ${p}`);
      assert.ok(p[p.length - 1] >= now - 2 && p[p.length - 1] <= now + 1, `ping ${p[p.length - 1]} is not now (${now})`);

      assert.ok(!out.includes('WebSocket connection closed.'), `the connection closed:\n${out}`);
      assert.equal(err, '', 'the script printed errors');
      assert.equal(child.exitCode, null, 'the script exited');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
