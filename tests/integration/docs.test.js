// The docs stand alone in the repository: the README starts with `make run` and `make test`, has
// its browser quick start, and, like every doc, links only to files of the repository that exist
// (and to headings that exist in them); the protocol and the API are written down in docs/; and
// docs/api.md lists every route the server registers, and no route it does not.

'use strict';

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const read = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8');
const DOCS = ['README.md', 'tests/integration/README.md', 'bench/README.md',
  ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading. */
function slug(heading) {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function headings(text) {
  return new Set(text.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));
}

/** Markdown links [text](target) outside code blocks and code spans. */
function links(text) {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

describe('the docs', () => {
  it('README starts with make run and make test, then the browser quick start', () => {
    const readme = read('README.md');
    const block = /```sh\n([\s\S]*?)```/.exec(readme)[1];
    const commands = block.split('\n').filter(Boolean).map((l) => l.replace(/\s*#.*$/, ''));
    assert.deepEqual(commands.slice(0, 2), ['make run', 'make test']);
    assert.ok(readme.indexOf('```sh') < readme.indexOf('\n## '), 'the commands come before any section');
    assert.match(readme, /\n## Quick start in the browser\n/);
    assert.match(readme, /make run PORT=9000/);
    assert.match(readme, /make demo-reset/);
    assert.match(readme, /## Logs and metrics[\s\S]*cabled_broadcast_delivery_seconds_bucket\{le="\+Inf"\}/);
  });

  it('link only inside the repository, to files and headings that exist', () => {
    for (const doc of DOCS) {
      const text = read(doc);
      assert.doesNotMatch(text, /shared\/SPEC|SPEC\.md|\bSPEC \d/, `${doc} cites a contract outside the repository`);
      for (const target of links(text)) {
        assert.doesNotMatch(target, /^[a-z]+:/i, `${doc} links out of the repository: ${target}`);
        const [file, anchor] = target.split('#');
        const resolved = file ? path.resolve(path.dirname(path.join(ROOT, doc)), file) : path.join(ROOT, doc);
        assert.ok(resolved.startsWith(ROOT + path.sep), `${doc}: ${target} is outside the repository`);
        assert.ok(fs.existsSync(resolved), `${doc}: ${target} does not exist`);
        if (anchor) {
          assert.ok(headings(fs.readFileSync(resolved, 'utf8')).has(anchor), `${doc}: no heading #${anchor} in ${file || doc}`);
        }
      }
    }
  });

  it('write the protocol and the API down in docs/, linked from the README', () => {
    const readme = read('README.md');
    for (const f of ['docs/protocol.md', 'docs/api.md', 'docs/decisions.md', 'docs/security.md']) {
      assert.ok(fs.existsSync(path.join(ROOT, f)), f);
      assert.ok(readme.includes(`](${f})`), `README links ${f}`);
    }
    const protocol = read('docs/protocol.md');
    for (const word of ['actioncable-v1-json', '?token=', 'confirm_subscription', 'reject_subscription', 'too_slow',
      'server_restart', 'Chats::RoomChannel', 'Chats::CommunityMemberThreadsChannel', 'chatThreadRead',
      'resetNewNotificationCount', 'JSONMessage']) {
      assert.ok(protocol.includes(word), `protocol.md speaks of ${word}`);
    }
  });

  it('list in docs/api.md every route the server has, and no other', () => {
    // Routes as the code registers them.
    const code = new Set();
    for (const f of fs.readdirSync(path.join(ROOT, 'src/api')).filter((n) => n.endsWith('.c'))) {
      const src = read(`src/api/${f}`);
      const v1 = (/#define V1 "([^"]+)"/.exec(src) || [])[1];
      for (const m of src.matchAll(/http_router_add\(r, HTTP_([A-Z]+), "([^"]+)"/g)) code.add(`${m[1]} ${m[2]}`);
      for (const m of src.matchAll(/\{HTTP_([A-Z]+), V1 "([^"]+)"/g)) code.add(`${m[1]} ${v1}${m[2]}`);
    }
    assert.ok(code.size > 40, `found the routes in src/api (${code.size})`);
    // Routes as docs/api.md lists them: | METHOD[, METHOD] | `path` |
    const doc = new Set();
    for (const m of read('docs/api.md').matchAll(/^\| ([A-Z, ]+) \| `(\/[^`]*)` \|/gm)) {
      for (const method of m[1].split(',').map((s) => s.trim())) {
        doc.add(`${method} ${m[2].replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
    const pageFiles = ['GET /', 'GET /vendor/actioncable.esm.js']; // served by http/static, not src/api
    const missing = [...code].filter((r) => !doc.has(r));
    const extra = [...doc].filter((r) => !code.has(r) && !pageFiles.includes(r));
    assert.deepEqual(missing, [], 'routes the server has that docs/api.md does not list');
    assert.deepEqual(extra, [], 'routes docs/api.md lists that the server does not have');
  });
});
