// bench/peers/ws.js: the smallest server on node's `ws` package doing
// cabled's job in the side-by-side benchmark (bench/compare.sh), with the
// plain protocol of bench_fanout --protocol plain:
//
//   GET /cable    upgrade; a text message {"command":"subscribe","identifier":I}
//                 adds the socket to the subscribers and is answered
//                 {"identifier":I,"type":"confirm_subscription"}
//   GET /publish  upgrade; every text message is sent as it is to every
//                 subscriber, without acknowledgement
//   every 3 s     {"type":"ping","message":<unix seconds>} to every
//                 connection, as cabled and Action Cable send
//
// Slow readers: a socket with more than 4 MiB queued (cabled's --max-outbuf
// default) is terminated; ws itself would queue without bound.
//
// Usage: node ws.js PORT   (0: any free port). Prints "listening on PORT".
'use strict';
const http = require('node:http');
const { WebSocketServer } = require('ws');

const OUTBUF_MAX = 4 * 1024 * 1024;
const subscribers = new Set();

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 << 20 });

function publish(data) {
  for (const ws of subscribers) {
    if (ws.bufferedAmount > OUTBUF_MAX) {
      subscribers.delete(ws);
      ws.terminate();
      continue;
    }
    ws.send(data, { binary: false });
  }
}

server.on('upgrade', (req, socket, head) => {
  const path = req.url.split('?')[0];
  if (path !== '/cable' && path !== '/publish') {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (path === '/publish') {
      ws.on('message', (data) => publish(data));
      return;
    }
    ws.on('message', (data) => {
      let cmd;
      try {
        cmd = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (cmd.command !== 'subscribe') return;
      subscribers.add(ws);
      ws.send(JSON.stringify({ identifier: cmd.identifier, type: 'confirm_subscription' }));
    });
    ws.on('close', () => subscribers.delete(ws));
    ws.on('error', () => subscribers.delete(ws));
  });
});

setInterval(() => {
  const ping = `{"type":"ping","message":${Math.floor(Date.now() / 1000)}}`;
  for (const ws of wss.clients) ws.send(ping);
}, 3000);

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
