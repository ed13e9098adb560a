// tests/integration/lib/redis.js — a real redis-server (Debian's package) on a loopback port,
// started and stopped by a test, and redis-cli for what a Rails application would do.
//
// startRedis() spawns redis-server in the foreground on a free port with nothing persisted and
// resolves once it answers PING. redis.kill() is a crash (SIGKILL), redis.pause()/resume() stop
// and continue it (a Redis that stops answering), redis.restart() starts it again on the same
// port. redisCli(redis, ...args) runs redis-cli against it and returns its stdout. Every server
// started here is killed when the test process exits.

'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const live = new Set();
process.on('exit', () => { for (const r of live) try { r.proc.kill('SIGKILL'); } catch { /* gone */ } });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function redisCli(redis, ...args) {
  const r = spawnSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

class RedisServer {
  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.proc = null;
    this.log = '';
  }

  get url() { return `redis://127.0.0.1:${this.port}`; }

  async start() {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1',
      '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    live.add(this);
    proc.stdout.on('data', (d) => { this.log = (this.log + d).slice(-20000); });
    proc.stderr.on('data', (d) => { this.log = (this.log + d).slice(-20000); });
    proc.on('exit', () => live.delete(this));
    const deadline = Date.now() + 10000;
    for (;;) {
      const r = spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8', timeout: 2000 });
      if (r.stdout && r.stdout.trim() === 'PONG') return this;
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${this.port}:\n${this.log}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** kill -9: every connection drops at once. */
  async kill() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode) return;
    const gone = new Promise((res) => this.proc.once('exit', res));
    this.proc.kill('SIGKILL');
    await gone;
  }

  pause() { this.proc.kill('SIGSTOP'); }
  resume() { this.proc.kill('SIGCONT'); }

  async restart() {
    await this.kill();
    return this.start();
  }

  async stop() {
    if (this.proc && this.proc.signalCode === 'SIGSTOP') this.resume();
    await this.kill();
    try { fs.rmSync(this.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}

async function startRedis() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-redis-'));
  const r = new RedisServer(await freePort(), dir);
  return r.start();
}

module.exports = { startRedis, redisCli, freePort };
