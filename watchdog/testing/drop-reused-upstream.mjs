#!/usr/bin/env node
// Test upstream for the watchdog's http mode: a raw HTTP/1.1 server on the port of $upstream_url that answers
// the first request of each connection (echoing its body, keeping the connection open, announcing no
// keep-alive timeout) and drops the connection without a word on the next one, as a server whose idle timeout
// fires just as a pooled socket is reused. GET /stats answers how many requests it dropped.
import { createServer } from 'node:net';

const port = Number(new URL(process.env.upstream_url).port);
let dropped = 0;

createServer((socket) => {
  let buffered = Buffer.alloc(0);
  let served = 0;
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = buffered.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (buffered.length < end + 4 + length) return;
    const body = buffered.subarray(end + 4, end + 4 + length);
    buffered = buffered.subarray(end + 4 + length);
    if (served++ > 0) {
      dropped += 1;
      socket.destroy();
      return;
    }
    const answer = head.startsWith('GET /stats') ? Buffer.from(String(dropped)) : body;
    socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${answer.length}\r\n\r\n`);
    socket.write(answer);
  });
}).listen(port, '127.0.0.1');
