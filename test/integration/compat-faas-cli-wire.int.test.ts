/**
 * faas-cli 0.18.12 (commit c8191b71) against `kfaas up`, replayed on the wire. faas-cli itself cannot be built
 * here (the Go module proxy refuses github.com/openfaas/faas-cli), so each command below sends the HTTP requests
 * faas-cli's proxy package and vendored go-sdk send (method, path, query, headers and the JSON bytes encoding/json produces for the faas-provider types, in
 * field order) and reads the answer as faas-cli does: which status codes it treats as success, and whether the
 * JSON decodes into the Go types it declares (asGoFunctionStatus, asGoLogMessages).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/index.js';
import { asGoFunctionStatus, asGoLogMessages, callbackReceiver, startUp, stopUp, writeScript, type Up } from './compat-support.js';

const FN = 'cli-fn';
// faas-cli's go-sdk names this namespace on every invoke when the user gives no -n (DefaultNamespace).
const NS = 'openfaas-fn';
const USER_AGENT = 'faas-cli/0.18.12';

/** What faas-cli does with an answer: the outcome its proxy package derives from the status code. */
type Outcome = 'ok' | 'unauthorized' | 'not-found' | 'conflict' | 'failed';

// proxy/deploy.go accepts 200/201/202, but commands/deploy.go then fails the command unless it was 200 or 202.
const deployOutcome = (status: number): Outcome => (status === 200 || status === 202 ? 'ok' : status === 401 ? 'unauthorized' : status === 404 ? 'not-found' : 'failed');
// proxy/delete.go: 200/201/202 "Removing old function.", 404 "No existing function to remove".
const deleteOutcome = (status: number): Outcome => ([200, 201, 202].includes(status) ? 'ok' : status === 404 ? 'not-found' : status === 401 ? 'unauthorized' : 'failed');
// proxy/secret.go CreateSecret: 200/201/202 "Created", 409 "already exists".
const secretCreateOutcome = (status: number): Outcome => ([200, 201, 202].includes(status) ? 'ok' : status === 409 ? 'conflict' : status === 401 ? 'unauthorized' : 'failed');
// proxy/secret.go UpdateSecret and RemoveSecret: 200/202, 404 "unable to find secret".
const secretChangeOutcome = (status: number): Outcome => ([200, 202].includes(status) ? 'ok' : status === 404 ? 'not-found' : status === 401 ? 'unauthorized' : 'failed');
// proxy/list.go, describe.go and logs.go: only 200 is data; GetSecretList also takes 202.
const readOutcome = (status: number): Outcome => (status === 200 ? 'ok' : status === 404 ? 'not-found' : status === 401 ? 'unauthorized' : 'failed');

describe('faas-cli on the wire against kfaas up', () => {
  let dir: string;
  let up: Up;
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;
  let script: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kfaas-faas-cli-'));
    receiver = await callbackReceiver();
    // A handler that shouts its input back: fork mode, body on stdin.
    script = writeScript(dir, 'shout.sh', 'tr a-z A-Z');
    // A shell set up for some other gateway: kfaas up must keep serving its own namespace anyway.
    up = await startUp(join(dir, 'data'), [], { function_namespace: 'team-a', KFAAS_ALLOWED_NAMESPACES: 'team-a,team-b' });
  }, 90_000);

  afterAll(async () => {
    await stopUp(up);
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * One request as Go's net/http sends it for faas-cli: proxy.Client.newRequest sets Content-Type only when there
   * is a body, ClientAuth adds basic auth (the saved `faas-cli login`), and the client does not follow redirects
   * for list (CheckRedirect = ErrUseLastResponse).
   */
  const cli = (method: string, path: string, options: { body?: string; auth?: string | false; headers?: Record<string, string> } = {}) =>
    fetch(`${up.url}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        'user-agent': USER_AGENT,
        'accept-encoding': 'gzip',
        ...(options.auth === false ? {} : { authorization: options.auth ?? up.authorization }),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.headers ?? {}),
      },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });

  it('faas-cli login: GET /system/functions with the given basic auth; 200 saves it, 401 is "username or password is incorrect"', async () => {
    const ok = await cli('GET', '/system/functions');
    expect(readOutcome(ok.status)).toBe('ok');
    const wrong = await cli('GET', '/system/functions', { auth: `Basic ${Buffer.from('admin:wrong').toString('base64')}` });
    expect(wrong.status).toBe(401);
    // Without a login every /system command gets 401, which faas-cli answers with its "faas-cli login" hint.
    for (const path of ['/system/functions', '/system/secrets', `/system/logs?follow=false&name=${FN}&tail=-1`, `/system/function/${FN}`]) {
      expect(readOutcome((await cli('GET', path, { auth: false })).status)).toBe('unauthorized');
    }
  });

  it('faas-cli deploy --image --name --fprocess: PUT first, POST after its 404, then PUT again updates', async () => {
    // types.FunctionDeployment as encoding/json writes it: declaration order, omitempty fields dropped, and the
    // Labels/Annotations pointers to the (empty) maps util.ParseMap returns.
    const body = JSON.stringify({ service: FN, image: 'ghcr.io/example/cli-fn:latest', envProcess: script, labels: {}, annotations: {} });
    const update = await cli('PUT', '/system/functions', { body });
    expect(update.status).toBe(404);
    const create = await cli('POST', '/system/functions', { body });
    expect(create.status).toBe(202);
    expect(deployOutcome(create.status)).toBe('ok');
    // A second `faas-cli deploy` of the same function: the PUT succeeds (a rolling update), no POST follows.
    const again = await cli('PUT', '/system/functions', { body });
    expect(deployOutcome(again.status)).toBe('ok');
    // Older faas-cli versions also send network and registryAuth, and null label and annotation maps.
    const older = JSON.stringify({ service: FN, image: 'ghcr.io/example/cli-fn:latest', network: '', envProcess: script, registryAuth: '', labels: null, annotations: null, readOnlyRootFilesystem: false });
    expect(deployOutcome((await cli('PUT', '/system/functions', { body: older })).status)).toBe('ok');
    // A plain POST of an existing function is not a success to faas-cli (the PUT path handles redeploys).
    expect(deployOutcome((await cli('POST', '/system/functions', { body })).status)).toBe('failed');
  });

  it('faas-cli list: GET /system/functions decodes into []types.FunctionStatus', async () => {
    const res = await cli('GET', '/system/functions');
    expect(res.status).toBe(200);
    const list = (await res.json()) as unknown[];
    expect(Array.isArray(list)).toBe(true);
    const mine = list.map(asGoFunctionStatus).find((s) => s['name'] === FN);
    expect(mine).toMatchObject({ name: FN, image: 'ghcr.io/example/cli-fn:latest', invocationCount: expect.any(Number), replicas: 1 });
    // `faas-cli list -n openfaas-fn` adds ?namespace=.
    const namespaced = (await (await cli('GET', `/system/functions?namespace=${NS}`)).json()) as Array<{ name: string }>;
    expect(namespaced.map((s) => s.name)).toContain(FN);
  });

  it('faas-cli describe: GET /system/function/<name> decodes into types.FunctionStatus; 404 is "No such function"', async () => {
    const res = await cli('GET', `/system/function/${FN}?namespace=${NS}`);
    expect(readOutcome(res.status)).toBe('ok');
    const status = asGoFunctionStatus(await res.json());
    expect(status).toMatchObject({ name: FN, namespace: NS, envProcess: script, labels: { faas_function: FN }, annotations: {} });
    expect(status['createdAt']).toEqual(expect.any(String));
    expect(readOutcome((await cli('GET', '/system/function/no-such-fn')).status)).toBe('not-found');
  });

  it('faas-cli invoke with no -n: POST /function/<name>.openfaas-fn, text/plain, no credentials', async () => {
    const invoke = (path: string, body: string) =>
      fetch(`${up.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': USER_AGENT }, body });
    // The first call right after the deploy waits for the replica to become ready instead of getting 503.
    const res = await invoke(`/function/${FN}.${NS}`, 'hello from faas-cli');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('HELLO FROM FAAS-CLI');
    // `faas-cli invoke --query repo=faas-cli` keeps the query after the namespaced name.
    const shout = await invoke(`/function/${FN}.${NS}?repo=faas-cli`, 'namespaced');
    expect(shout.status).toBe(200);
    expect(await shout.text()).toBe('NAMESPACED');
    // Plain HTTP clients that name no namespace reach the same function.
    expect(await (await invoke(`/function/${FN}`, 'plain')).text()).toBe('PLAIN');
  });

  it('answers 404, as for a missing function, to names no function can have, sync and async', async () => {
    for (const path of ['/function/', `/function/.${NS}`, '/function/Upper', '/async-function/', `/async-function/.${NS}`, '/async-function/bad_name']) {
      const res = await fetch(`${up.url}${path}`, { method: 'POST', headers: { 'user-agent': USER_AGENT }, body: 'x' });
      expect([path, res.status]).toEqual([path, 404]);
    }
  });

  it('faas-cli invoke --async -H X-Callback-Url=...: POST /async-function/<name>.openfaas-fn, 202, then the callback', async () => {
    const res = await fetch(`${up.url}/async-function/${FN}.${NS}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-callback-url': `${receiver.url}/cb`, 'user-agent': USER_AGENT },
      body: 'queued by faas-cli',
    });
    expect(res.status).toBe(202);
    const callId = res.headers.get('x-call-id');
    expect(callId).toBeTruthy();
    const cb = await waitFor(() => receiver.received.find((c) => c.headers['x-call-id'] === callId), { timeoutMs: 20_000, description: 'the callback' });
    expect(cb.body.toString()).toBe('QUEUED BY FAAS-CLI');
    expect(cb.headers['x-function-status']).toBe('200');
  });

  it('faas-cli namespace list / get / create / update / delete: the one function namespace, and a 501 naming the setting for writes', async () => {
    expect(await (await cli('GET', '/system/namespaces')).json()).toEqual([NS]);
    const got = await cli('GET', `/system/namespace/${NS}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({ name: NS, labels: {}, annotations: {} });
    expect((await cli('GET', '/system/namespace/team-a')).status).toBe(404);
    const create = await cli('POST', '/system/namespace/', { body: JSON.stringify({ name: 'team-a', labels: {}, annotations: {} }) });
    expect(create.status).toBe(501);
    expect(((await create.json()) as { message: string }).message).toMatch(/KFAAS_ALLOWED_NAMESPACES.*functions\.clusterWide: true/);
    // kfaas up serves one fixed namespace: changing or deleting it is refused the same way.
    const update = await cli('PUT', `/system/namespace/${NS}`, { body: JSON.stringify({ name: NS, labels: { team: 'a' }, annotations: {} }) });
    expect(update.status).toBe(501);
    expect((await cli('DELETE', `/system/namespace/${NS}`)).status).toBe(501);
  });

  it('faas-cli secret create --from-file: value and rawValue both sent, rawValue kept', async () => {
    // types.Secret field order: name, namespace, value, rawValue. 0.18.12 fills both from the file's bytes.
    const file = Buffer.from([0x70, 0x77, 0x0a, 0xff, 0x00]);
    const body = JSON.stringify({ name: 'from-file', namespace: NS, value: file.toString('utf8'), rawValue: file.toString('base64') });
    const create = await cli('POST', '/system/secrets', { body });
    expect(secretCreateOutcome(create.status)).toBe('ok');
    expect(readFileSync(join(up.dataDir, 'secrets', 'from-file'))).toEqual(file);
    expect(secretChangeOutcome((await cli('DELETE', '/system/secrets', { body: JSON.stringify({ name: 'from-file', namespace: NS }) })).status)).toBe('ok');
  });

  it('faas-cli secret create / list / update / remove', async () => {
    // types.Secret: name, then namespace and value (omitempty); --from-literal fills value, -n the namespace.
    const create = await cli('POST', '/system/secrets', { body: JSON.stringify({ name: 'cli-secret', namespace: NS, value: 'literal' }) });
    expect(secretCreateOutcome(create.status)).toBe('ok');
    expect(secretCreateOutcome((await cli('POST', '/system/secrets', { body: JSON.stringify({ name: 'cli-secret', value: 'literal' }) })).status)).toBe('conflict');
    const namespaced = await cli('POST', '/system/secrets', { body: JSON.stringify({ name: 'db.password', namespace: NS, value: 'p' }) });
    expect(secretCreateOutcome(namespaced.status)).toBe('ok');

    const list = await cli('GET', '/system/secrets');
    expect(readOutcome(list.status)).toBe('ok');
    const secrets = (await list.json()) as Array<Record<string, unknown>>;
    expect(secrets).toEqual([
      { name: 'cli-secret', namespace: NS },
      { name: 'db.password', namespace: NS },
    ]);

    expect(secretChangeOutcome((await cli('PUT', '/system/secrets', { body: JSON.stringify({ name: 'cli-secret', value: 'rotated' }) })).status)).toBe('ok');
    expect(secretChangeOutcome((await cli('PUT', '/system/secrets', { body: JSON.stringify({ name: 'no-such-secret', value: 'x' }) })).status)).toBe('not-found');

    expect(secretChangeOutcome((await cli('DELETE', '/system/secrets', { body: JSON.stringify({ name: 'cli-secret' }) })).status)).toBe('ok');
    expect(secretChangeOutcome((await cli('DELETE', '/system/secrets', { body: JSON.stringify({ name: 'db.password', namespace: NS }) })).status)).toBe('ok');
    expect(secretChangeOutcome((await cli('DELETE', '/system/secrets', { body: JSON.stringify({ name: 'cli-secret' }) })).status)).toBe('not-found');
    expect(await (await cli('GET', `/system/secrets?namespace=${NS}`)).json()).toEqual([]);
  });

  it('faas-cli logs --tail=false: GET /system/logs?follow=false&name=&tail=-1 decodes as logs.Message lines', async () => {
    // url.Values.Encode sorts the keys; tail=-1 is the --lines default ("unlimited").
    const messages = await waitFor(
      async () => {
        const res = await cli('GET', `/system/logs?follow=false&name=${FN}&tail=-1`);
        expect(readOutcome(res.status)).toBe('ok');
        const parsed = asGoLogMessages(await res.text());
        return parsed.some((m) => m.text.startsWith('Wrote ')) ? parsed : undefined;
      },
      { timeoutMs: 10_000, description: 'watchdog lines in the logs' },
    );
    expect(messages.some((m) => m.text.startsWith('Forking fprocess.'))).toBe(true);
    // Each PUT replaced the replica, so the instance number moved on.
    for (const m of messages) expect(m).toMatchObject({ name: FN, namespace: NS, instance: expect.stringMatching(new RegExp(`^${FN}-\\d+$`)) });

    // --lines=2 and --since-time / --since (sent as an RFC 3339 `since`).
    const two = asGoLogMessages(await (await cli('GET', `/system/logs?follow=false&name=${FN}&namespace=${NS}&tail=2`)).text());
    expect(two).toEqual(messages.slice(-2));
    const future = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const none = await cli('GET', `/system/logs?follow=false&name=${FN}&since=${encodeURIComponent(future)}&tail=-1`);
    expect(none.status).toBe(200);
    expect(asGoLogMessages(await none.text())).toEqual([]);
  });

  it('faas-cli remove: DELETE /system/functions {"functionName"}; 404 is "No existing function to remove"', async () => {
    const removed = await cli('DELETE', `/system/functions?namespace=${NS}`, { body: JSON.stringify({ functionName: FN }) });
    expect(deleteOutcome(removed.status)).toBe('ok');
    expect(removed.status).toBe(202);
    expect(deleteOutcome((await cli('DELETE', '/system/functions', { body: JSON.stringify({ functionName: FN }) })).status)).toBe('not-found');
    expect(readOutcome((await cli('GET', `/system/function/${FN}`)).status)).toBe('not-found');
    expect((await fetch(`${up.url}/function/${FN}`, { method: 'POST' })).status).toBe(404);
  });
});
