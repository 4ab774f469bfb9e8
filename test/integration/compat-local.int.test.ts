/**
 * OpenFaaS wire compatibility of `kfaas up` (the local provider), against the built CLI as a user runs it:
 * the /system shapes and status codes clients depend on, secrets as files that functions read, /system/logs as
 * NDJSON with the classic watchdog lines, and namespace checks on every /system call.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/index.js';
import { ROOT, asGoFunctionStatus, asGoLogMessages, startUp, stopUp, writeScript, type Up } from './compat-support.js';

const NS = 'openfaas-fn';

describe('OpenFaaS compatibility of kfaas up', () => {
  let dir: string;
  let secretsDir: string;
  let up: Up;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kfaas-compat-'));
    secretsDir = join(dir, 'my-secrets');
    mkdirSync(join(dir, 'data'));
    up = await startUp(join(dir, 'data'), ['--secrets-dir', secretsDir]);
  }, 90_000);

  afterAll(async () => {
    await stopUp(up);
    rmSync(dir, { recursive: true, force: true });
  });

  const sys = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${up.url}${path}`, {
      method,
      headers: { authorization: up.authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  const json = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await sys(method, path, body);
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  const untilServing = (name: string) =>
    waitFor(
      async () => {
        const res = await fetch(`${up.url}/function/${name}`, { method: 'POST', body: '' });
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: 20_000, description: `${name} to serve calls` },
    );

  it('starts empty with no stack file', async () => {
    expect(await json('GET', '/system/functions')).toEqual({ status: 200, body: [] });
    expect(await json('GET', '/system/secrets')).toEqual({ status: 200, body: [] });
  });

  it('deploys with 202 and the function is readable at once, labelled faas_function, in the list item shape', async () => {
    // Go clients marshal unset label and annotation pointers as null.
    const deploy = await sys('POST', '/system/functions', { service: 'shape', image: 'ghcr.io/acme/shape:1', envProcess: 'cat', labels: null, annotations: null });
    expect(deploy.status).toBe(202);
    const got = await json('GET', '/system/function/shape');
    expect(got.status).toBe(200);
    const status = asGoFunctionStatus(got.body);
    expect(status).toEqual({
      name: 'shape',
      image: 'ghcr.io/acme/shape:1',
      namespace: NS,
      envProcess: 'cat',
      labels: { faas_function: 'shape' },
      annotations: {},
      invocationCount: 0,
      replicas: 1,
      availableReplicas: expect.any(Number),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    });
    expect(status).not.toHaveProperty('envVars');

    await untilServing('shape');
    const [item] = (await json('GET', '/system/functions')).body.filter((f: { name: string }) => f.name === 'shape');
    const one = (await json('GET', '/system/function/shape')).body;
    expect(item).toEqual(one);
    // Every call counts (as OpenFaaS counts each status code).
    expect(one.availableReplicas).toBe(1);
    expect(one.invocationCount).toBeGreaterThanOrEqual(1);
  });

  it('answers 409 to a second POST, updates with PUT, and 404 for a PUT of a missing function', async () => {
    const body = { service: 'twice', image: 'img:1', envProcess: 'cat', labels: { team: 'a' }, annotations: { note: 'x' } };
    expect((await sys('POST', '/system/functions', body)).status).toBe(202);
    const again = await json('POST', '/system/functions', body);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('CONFLICT');
    const update = await sys('PUT', '/system/functions', { ...body, image: 'img:2', envVars: { GREETING: 'hi', exec_timeout: '5s' } });
    expect(update.status).toBe(202);
    const status = (await json('GET', '/system/function/twice')).body;
    // The watchdog's own settings (exec_timeout, ...) are not echoed back as user envVars.
    expect(status).toMatchObject({ image: 'img:2', envVars: { GREETING: 'hi' }, labels: { team: 'a', faas_function: 'twice' }, annotations: { note: 'x' } });
    const missing = await json('PUT', '/system/functions', { service: 'never-deployed', image: 'x', envProcess: 'cat' });
    expect(missing.status).toBe(404);
  });

  it('records the image without pulling it and runs envProcess on the host under the watchdog', async () => {
    expect((await sys('POST', '/system/functions', { service: 'upper', image: 'registry.invalid/nobody/upper:never', envProcess: 'tr a-z A-Z' })).status).toBe(202);
    await untilServing('upper');
    const res = await fetch(`${up.url}/function/upper`, { method: 'POST', body: 'host process' });
    expect(await res.text()).toBe('HOST PROCESS');
    expect((await json('GET', '/system/function/upper')).body.image).toBe('registry.invalid/nobody/upper:never');
  });

  it('answers sync invocations without auth, with X-Call-Id and X-Start-Time', async () => {
    await untilServing('shape');
    const res = await fetch(`${up.url}/function/shape`, { method: 'POST', body: 'no auth needed' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('no auth needed');
    expect(res.headers.get('x-call-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-start-time')).toMatch(/^\d{19}$/);
  });

  it('scales with 202, taking the namespace from the query string or the body', async () => {
    expect((await sys('POST', '/system/functions', { service: 'scaly', image: 'x', envProcess: 'cat' })).status).toBe(202);
    expect((await sys('POST', `/system/scale-function/scaly?namespace=${NS}`, { serviceName: 'scaly', replicas: 2 })).status).toBe(202);
    expect((await json('GET', '/system/function/scaly')).body.replicas).toBe(2);
    expect((await sys('POST', '/system/scale-function/scaly', { serviceName: 'scaly', replicas: 0, namespace: NS })).status).toBe(202);
    expect((await json('GET', '/system/function/scaly')).body.replicas).toBe(0);
    expect((await sys('POST', '/system/scale-function/ghost', { serviceName: 'ghost', replicas: 1 })).status).toBe(404);
  });

  it('deletes with 202, taking the namespace from the body or the query string; 404 when missing', async () => {
    for (const name of ['del-body', 'del-query']) expect((await sys('POST', '/system/functions', { service: name, image: 'x', envProcess: 'cat' })).status).toBe(202);
    expect((await sys('DELETE', '/system/functions', { functionName: 'del-body', namespace: NS })).status).toBe(202);
    expect((await sys('DELETE', `/system/functions?namespace=${NS}`, { functionName: 'del-query' })).status).toBe(202);
    expect((await sys('GET', '/system/function/del-body')).status).toBe(404);
    expect((await sys('GET', '/system/function/del-query')).status).toBe(404);
    expect((await sys('DELETE', '/system/functions', { functionName: 'del-body' })).status).toBe(404);
    expect((await fetch(`${up.url}/function/del-body`, { method: 'POST' })).status).toBe(404);
  });

  it('keeps secrets as 0600 files in --secrets-dir, lists names only, and functions read them from $KFAAS_SECRETS_DIR', async () => {
    expect((await sys('POST', '/system/secrets', { name: 'api-key', value: 's3cr3t-value' })).status).toBe(201);
    const file = join(secretsDir, 'api-key');
    expect(readFileSync(file, 'utf8')).toBe('s3cr3t-value');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const listed = await json('GET', `/system/secrets?namespace=${NS}`);
    expect(listed).toEqual({ status: 200, body: [{ name: 'api-key', namespace: NS }] });
    expect(JSON.stringify(listed.body)).not.toContain('s3cr3t');

    // fprocess is split on spaces with no shell, so the handler that expands $KFAAS_SECRETS_DIR is a script.
    const script = writeScript(dir, 'read-secret.sh', 'cat "$KFAAS_SECRETS_DIR/$1"');
    expect((await sys('POST', '/system/functions', { service: 'reader', image: 'x', envProcess: `${script} api-key`, secrets: ['api-key'] })).status).toBe(202);
    expect((await untilServing('reader')).status).toBe(200);
    const read = async () => (await fetch(`${up.url}/function/reader`, { method: 'POST', body: '' })).text();
    expect(await read()).toBe('s3cr3t-value');

    // An update is read by the next call (the file is replaced, not the function).
    expect((await sys('PUT', '/system/secrets', { name: 'api-key', rawValue: Buffer.from('rotated').toString('base64') })).status).toBe(200);
    expect(await read()).toBe('rotated');

    expect((await sys('POST', '/system/secrets', { name: 'api-key', value: 'dup' })).status).toBe(409);
    const refused = await json('POST', '/system/functions', { service: 'wants-missing', image: 'x', envProcess: 'cat', secrets: ['nope'] });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('nope not found');
    expect((await sys('DELETE', '/system/secrets', { name: 'api-key' })).status).toBe(202);
    expect((await sys('DELETE', '/system/secrets', { name: 'api-key' })).status).toBe(404);
    expect((await json('GET', '/system/secrets')).body).toEqual([]);
  });

  it('serves /system/logs as NDJSON with the classic fork watchdog lines, and follows new ones', async () => {
    expect((await sys('POST', '/system/functions', { service: 'forky', image: 'x', envProcess: 'cat' })).status).toBe(202);
    await untilServing('forky');
    await fetch(`${up.url}/function/forky`, { method: 'POST', body: 'twelve bytes' });
    const lines = await waitFor(
      async () => {
        const res = await sys('GET', '/system/logs?name=forky&follow=false&tail=-1');
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
        const parsed = asGoLogMessages(await res.text());
        return parsed.some((l) => /^Wrote 12 Bytes - Duration: [\d.]+ seconds/.test(l.text)) ? parsed : undefined;
      },
      { timeoutMs: 10_000, description: 'the watchdog lines of the call' },
    );
    expect(lines.some((l) => l.text.startsWith('Forking fprocess.'))).toBe(true);
    for (const line of lines) expect(line).toMatchObject({ name: 'forky', namespace: NS, instance: 'forky-0' });
    // Lines are the watchdog's messages, not its JSON records.
    expect(lines.every((l) => !l.text.startsWith('{'))).toBe(true);

    const tail = asGoLogMessages(await (await sys('GET', '/system/logs?name=forky&tail=2')).text());
    expect(tail).toEqual(lines.slice(-2));

    const abort = new AbortController();
    const follow = await fetch(`${up.url}/system/logs?name=forky&follow=true&tail=1`, { headers: { authorization: up.authorization }, signal: abort.signal });
    expect(follow.status).toBe(200);
    const reader = follow.body!.getReader();
    let streamed = '';
    await fetch(`${up.url}/function/forky`, { method: 'POST', body: 'followed!' });
    await waitFor(
      async () => {
        streamed += new TextDecoder().decode((await reader.read()).value);
        return streamed.includes('Wrote 9 Bytes');
      },
      { timeoutMs: 10_000, description: 'the followed stream to show the new call' },
    );
    abort.abort();
    expect(asGoLogMessages(streamed.slice(0, streamed.lastIndexOf('\n') + 1)).length).toBeGreaterThanOrEqual(2);

    expect((await sys('GET', '/system/logs?name=ghost')).status).toBe(404);
  });

  it('lists its namespace, and refuses any other on every /system call with 400 naming the allowed ones', async () => {
    expect(await json('GET', '/system/namespaces')).toEqual({ status: 200, body: [NS] });
    const bad = 'elsewhere';
    const calls: Array<[string, string, unknown?]> = [
      ['GET', `/system/functions?namespace=${bad}`],
      ['GET', `/system/function/shape?namespace=${bad}`],
      ['POST', '/system/functions', { service: 'x', image: 'x', envProcess: 'cat', namespace: bad }],
      ['PUT', `/system/functions?namespace=${bad}`, { service: 'shape', image: 'x', envProcess: 'cat' }],
      ['DELETE', '/system/functions', { functionName: 'shape', namespace: bad }],
      ['POST', `/system/scale-function/shape?namespace=${bad}`, { replicas: 1 }],
      ['GET', `/system/secrets?namespace=${bad}`],
      ['POST', '/system/secrets', { name: 's', value: 'v', namespace: bad }],
      ['PUT', `/system/secrets?namespace=${bad}`, { name: 's', value: 'v' }],
      ['DELETE', '/system/secrets', { name: 's', namespace: bad }],
      ['GET', `/system/logs?name=shape&namespace=${bad}`],
      ['GET', `/system/info?namespace=${bad}`],
      ['GET', `/system/namespaces?namespace=${bad}`],
      ['GET', '/system/functions?namespace=kube-system'],
    ];
    for (const [method, path, body] of calls) {
      const res = await json(method, path, body);
      expect({ call: `${method} ${path}`, status: res.status, message: res.body?.message }).toEqual({ call: `${method} ${path}`, status: 400, message: `namespace must be: ${NS}` });
    }
    // The function the refused calls named is untouched.
    expect((await sys('GET', '/system/function/shape')).status).toBe(200);
  });
});

describe('kfaas up with a stack file', () => {
  it('starts with exactly the stack functions, and state from /system does not leak into a fresh data dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-compat-stack-'));
    let up: Up | undefined;
    try {
      up = await startUp(join(dir, 'data'), ['-f', join(ROOT, 'examples', 'stack.yaml')]);
      const res = await fetch(`${up.url}/system/functions`, { headers: { authorization: up.authorization } });
      const names = ((await res.json()) as Array<{ name: string }>).map((f) => f.name).sort();
      expect(names).toEqual(['always-fail', 'binary', 'callback-log', 'echo', 'flaky', 'sleep', 'word-count']);
      // The secrets directory defaults to <data-dir>/secrets.
      const created = await fetch(`${up.url}/system/secrets`, {
        method: 'POST',
        headers: { authorization: up.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'in-data-dir', value: 'v' }),
      });
      expect(created.status).toBe(201);
      expect(readFileSync(join(dir, 'data', 'secrets', 'in-data-dir'), 'utf8')).toBe('v');
    } finally {
      await stopUp(up);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
