// The dashboard's calls to the gateway. The browser adds the basic-auth credentials it was given at the
// login prompt to these same-origin requests by itself, so no secret is ever held by this code.

/** A failed request: the gateway's error message with its status. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function check(res) {
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && body.message) message = `${res.status}: ${body.message}`;
  } catch { /* not JSON */ }
  throw new ApiError(res.status, message);
}

/** GET a JSON resource. */
export async function getJson(path, signal) {
  return (await check(await fetch(path, { signal, headers: { accept: 'application/json' } }))).json();
}

/** Sends JSON with a method; resolves with the response. */
export async function sendJson(method, path, body) {
  return check(await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
}

/** Calls a function (sync or async); resolves with status, headers and text, whatever the status. */
export async function invoke({ name, mode, body, callbackUrl }) {
  const headers = {};
  if (callbackUrl) headers['x-callback-url'] = callbackUrl;
  const started = performance.now();
  const res = await fetch(`/${mode === 'async' ? 'async-function' : 'function'}/${encodeURIComponent(name)}`, { method: 'POST', body, headers });
  const text = await res.text();
  return { status: res.status, callId: res.headers.get('x-call-id'), ms: performance.now() - started, text, headers: [...res.headers] };
}

/** Streams NDJSON lines of a following GET to `onLine` until `signal` aborts or the server ends it. */
export async function followNdjson(path, onLine, signal) {
  const res = await check(await fetch(path, { signal }));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) if (line.trim()) onLine(JSON.parse(line));
  }
}

/** Runs `tick` now and every `ms` until `signal` aborts; a failed tick is reported and the loop goes on. */
export function poll(ms, signal, tick, onError) {
  let timer;
  const run = async () => {
    try {
      await tick();
      onError(undefined);
    } catch (err) {
      if (!signal.aborted) onError(err);
    }
    if (!signal.aborted) timer = setTimeout(run, ms);
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  run();
}
