#!/usr/bin/env node
// A tiny http-mode function: answers every request by streaming its body back, with the same Content-Type,
// and reports what it saw in X-Echo-Method, X-Echo-Path (path and query), X-Echo-Host, X-Echo-Call-Id,
// X-Echo-Header-Names and X-Echo-Pid. Nothing is buffered, so it can echo bodies of any size.
//
// Port: the port of $upstream_url / $http_upstream_url (what the watchdog proxies to, so the two always agree),
// else $http_port, else $PORT, else 3000. Host: $HOST, else 127.0.0.1.
//
// Query knobs to try the watchdog's limits:
//   sleep_ms=N  wait N ms before answering (exec_timeout / X-Timeout)
//   drip=N      answer at once, then write N chunks drip_ms (default 100) apart (a slow, streamed response)
//   exit=CODE   exit the process with CODE without answering (the watchdog restarts the upstream)
import { createServer } from 'node:http';

const upstream = process.env.upstream_url ?? process.env.http_upstream_url;
const port = Number((upstream && new URL(upstream).port) || process.env.http_port || process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://function');
  const q = url.searchParams;
  if (q.has('exit')) {
    process.stderr.write(`http-echo: exiting with code ${q.get('exit')} as asked\n`);
    process.exit(Number(q.get('exit')) || 0);
  }
  const answer = () => {
    res.setHeader('x-echo-method', req.method ?? '');
    res.setHeader('x-echo-path', req.url ?? '/');
    res.setHeader('x-echo-host', req.headers.host ?? '');
    res.setHeader('x-echo-call-id', req.headers['x-call-id'] ?? '');
    res.setHeader('x-echo-pid', String(process.pid));
    res.setHeader('x-echo-header-names', Object.keys(req.headers).join(','));
    if (req.headers['content-type']) res.setHeader('content-type', req.headers['content-type']);
    if (q.has('drip')) {
      drip(res, Number(q.get('drip')), Number(q.get('drip_ms') ?? 100));
      req.resume();
      return;
    }
    req.pipe(res);
  };
  const sleepMs = Number(q.get('sleep_ms') ?? 0);
  if (sleepMs > 0) setTimeout(answer, sleepMs);
  else answer();
});

function drip(res, chunks, everyMs) {
  res.writeHead(200, { 'content-type': 'text/plain' });
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(`chunk ${++sent}\n`);
    if (sent >= chunks) {
      clearInterval(timer);
      res.end();
    }
  }, everyMs);
}

server.keepAliveTimeout = 65_000;
server.listen(port, host, () => process.stdout.write(`http-echo: listening on ${host}:${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
