// Example fork-mode handler: the watchdog gives it the request body on stdin and the request line as env vars
// (Http_Method, Http_Path, Http_Query); whatever it writes to stdout is the response body.
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString('utf8');
const words = text.split(/\s+/).filter(Boolean).length;
process.stdout.write(
  `${JSON.stringify({
    words,
    bytes: Buffer.byteLength(text),
    method: process.env.Http_Method ?? null,
    path: process.env.Http_Path ?? null,
  })}\n`,
);
