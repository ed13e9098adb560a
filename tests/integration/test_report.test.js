// What `make test` prints (tests/suites.sh, used by tests/run_all.sh): one line per suite with its
// counts, the names of the failing tests and the file holding the suite's whole TAP when one
// fails, a summary table of every suite, and the last line CI reads, "N passed, N failed", with
// the exit status. Driven here with small suites of its own: a node file that passes, one whose
// nested test fails, one whose hook fails, and output in the unit runner's format.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

describe('the test report', () => {
  let dir;
  let out;
  let status;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-report-'));
    fs.writeFileSync(path.join(dir, 'pass.test.js'), `
      const { it } = require('node:test');
      it('adds', () => {});
      it('waits', { skip: 'not here' }, () => {});
    `);
    fs.writeFileSync(path.join(dir, 'fail.test.js'), `
      const { describe, it, before } = require('node:test');
      const assert = require('node:assert');
      describe('rooms', () => {
        it('lists them', () => {});
        it('counts unread messages', () => { assert.equal(1, 2); });
      });
      describe('a hook that fails', () => {
        before(() => { throw new Error('no server'); });
        it('never runs', () => {});
      });
    `);
    const unit = 'ok 1 - ws_frame_decode\\nnot ok 2 - http_parser_split\\n# tests/unit/http/test_parser.c:10: boom\\n' +
      'ok 3 - store_pg_outage # SKIP\\n1 passed, 1 failed, 1 skipped\\n';
    const script = `
      set -u
      LOG_DIR="${dir}/logs"
      . tests/suites.sh
      run_suite "passing node" node node --test --test-reporter=tap "${dir}/pass.test.js"
      run_suite "failing node" node node --test --test-reporter=tap "${dir}/fail.test.js"
      run_suite "unit" c printf '${unit}'
      run_suite "died" c sh -c 'echo segfault; exit 139'
      print_summary
    `;
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // the nested runner must report as if run from a shell
    const r = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8', env, timeout: 60000 });
    out = r.stdout;
    status = r.status;
    assert.equal(r.stderr, '');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints one line per suite with its counts', () => {
    assert.match(out, /^passing node +1 passed +0 failed +1 skipped +\d+s  ok$/m);
    assert.match(out, /^failing node +\d+ passed +\d+ failed +0 skipped +\d+s  FAILED$/m);
    assert.match(out, /^unit +1 passed +1 failed +1 skipped +\d+s  FAILED$/m);
    assert.match(out, /^died +0 passed +1 failed +0 skipped +\d+s  FAILED$/m);
  });

  it('names the failing tests, not their parents, and points to the full TAP', () => {
    const block = out.slice(out.indexOf('failing node'), out.indexOf('\nunit '));
    assert.match(block, /failing tests:\n/);
    assert.match(block, /^ +counts unread messages$/m);
    assert.match(block, /^ +a hook that fails$/m);
    assert.doesNotMatch(block, /^ +rooms$/m, 'a parent that failed only through its child is not listed');
    assert.doesNotMatch(block, /lists them|never runs/);
    const file = path.join(dir, 'logs', 'failing-node.tap');
    assert.match(block, new RegExp(`full output: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const tap = fs.readFileSync(file, 'utf8');
    assert.match(tap, /not ok \d+ - counts unread messages/);
    assert.match(tap, /^# fail \d+$/m);
    assert.match(out, /^ +http_parser_split$/m);
    assert.match(out, /exited 139 without a failing test; the end of its output:\n +segfault\n/);
    assert.ok(fs.existsSync(path.join(dir, 'logs', 'passing-node.tap')));
  });

  it('ends with a table of every suite and "N passed, N failed"', () => {
    const table = out.slice(out.indexOf('=== summary'));
    assert.match(table, /^suite +passed +failed +skipped +time$/m);
    for (const name of ['passing node', 'failing node', 'unit', 'died']) {
      assert.match(table, new RegExp(`^${name} +\\d+ +\\d+ +\\d+ +\\d+s  (ok|FAILED)$`, 'm'));
    }
    const lines = out.trimEnd().split('\n');
    const [, p, f] = /^(\d+) passed, (\d+) failed$/.exec(lines[lines.length - 1]);
    assert.match(table, new RegExp(`^total +${p} +${f} +2$`, 'm'));
    assert.ok(Number(f) >= 4);
    assert.notEqual(status, 0, 'a failure makes the run fail');
  });
});
