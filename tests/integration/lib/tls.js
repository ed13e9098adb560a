// tests/integration/lib/tls.js — a throwaway PKI for the TLS tests, made with the openssl CLI at
// test time (nothing is committed): a root CA, an intermediate CA it signs, and server
// certificates the intermediate signs for localhost and 127.0.0.1 (P-256 keys, valid two days).
// A server certificate file holds the leaf then the intermediate (a chain, as --tls-cert takes
// it); clients trust the root alone, so a server that did not send the chain would fail them.
//
//   const pki = makePki();                 // pki.dir, pki.ca (root PEM path), pki.caPem (Buffer)
//   const a = pki.serverCert('server-a');  // {cert, key, ca, cn}: paths, for startServer({tls: a})
//   pki.spki(a.cert)                       // base64 SHA-256 of the leaf's public key, for Chromium
//   pki.cleanup()

'use strict';

const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makePki() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  fs.writeFileSync(path.join(dir, 'ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  fs.writeFileSync(path.join(dir, 'leaf.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' +
    'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['req', '-x509', ...ec, '-keyout', 'root.key', '-out', 'root.pem', '-days', '2',
    '-subj', '/CN=cabled test root CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', ...ec, '-keyout', 'inter.key', '-out', 'inter.csr', '-subj', '/CN=cabled test intermediate CA'], dir);
  openssl(['x509', '-req', '-in', 'inter.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial',
    '-out', 'inter.pem', '-days', '2', '-extfile', 'ca.ext'], dir);
  const ca = path.join(dir, 'root.pem');
  return {
    dir,
    ca,
    caPem: fs.readFileSync(ca),
    /** A server certificate (leaf + intermediate in one file) and its key, for CN name. */
    serverCert(name) {
      openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'inter.pem', '-CAkey', 'inter.key', '-CAcreateserial',
        '-out', `${name}.leaf.pem`, '-days', '2', '-extfile', 'leaf.ext'], dir);
      const cert = path.join(dir, `${name}.pem`);
      fs.writeFileSync(cert, Buffer.concat([fs.readFileSync(path.join(dir, `${name}.leaf.pem`)),
        fs.readFileSync(path.join(dir, 'inter.pem'))]));
      return { cert, key: path.join(dir, `${name}.key`), ca, cn: name };
    },
    /** base64 SHA-256 of the first certificate's SubjectPublicKeyInfo in file (Chromium's
     *  --ignore-certificate-errors-spki-list). */
    spki(file) {
      const x = new crypto.X509Certificate(fs.readFileSync(file));
      const der = x.publicKey.export({ type: 'spki', format: 'der' });
      return crypto.createHash('sha256').update(der).digest('base64');
    },
    cleanup() { fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

module.exports = { makePki };
