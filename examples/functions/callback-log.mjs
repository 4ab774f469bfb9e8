#!/usr/bin/env node
// A callback receiver in http mode: logs every callback it gets (status, call id, headers, body size) and
// keeps the last 100 in memory; GET / lists them as JSON. Point X-Callback-Url at /function/callback-log.
import { createServer } from 'node:http';

const port = Number(new URL(process.env.upstream_url ?? 'http://127.0.0.1:3000').port || 3000);
const received = [];
createServer((req, res) => {
  if (req.method === 'GET') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(received));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const entry = {
      callId: req.headers['x-call-id'],
      function: req.headers['x-function-name'],
      status: Number(req.headers['x-function-status']),
      attempts: Number(req.headers['x-attempts'] ?? req.headers['x-retry'] ?? 0),
      durationSeconds: Number(req.headers['x-duration-seconds']),
      contentType: req.headers['content-type'],
      bytes: body.length,
      text: body.subarray(0, 200).toString('utf8'),
    };
    received.push(entry);
    if (received.length > 100) received.shift();
    process.stdout.write(`callback ${JSON.stringify(entry)}\n`);
    res.end('ok');
  });
}).listen(port, '127.0.0.1');
