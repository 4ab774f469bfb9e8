import request from 'supertest';
import winston from 'winston';
import type { CallCanceller, CallStatus, CallStatusReader, CancelOutcome } from '../../common/call-status.js';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { MemoryProvider } from '../testing/memory-provider.js';
import { serve, type Served } from '../testing/serve.js';
import { parseWait } from './async-calls.js';

const logger = winston.createLogger({ silent: true });
const USER = 'admin';
const PASSWORD = 's3cret';

const status = (state: CallStatus['state']): CallStatus => ({
  callId: 'call-1',
  function: 'echo',
  namespace: 'kfaas-fn',
  state,
  attempts: 1,
  enqueuedAt: Date.UTC(2026, 0, 1),
  startedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
  lastStatus: 200,
  updatedAt: 5,
});

/** A reader over a map that records the waits it was asked for. */
class MapReader implements CallStatusReader {
  readonly calls = new Map<string, CallStatus>();
  readonly waits: number[] = [];
  async get(id: string) {
    return this.calls.get(id);
  }
  async waitForFinal(id: string, timeoutMs: number) {
    this.waits.push(timeoutMs);
    return this.calls.get(id);
  }
  async backlog() {
    return { functions: [], truncated: false };
  }
}

describe('GET /async-calls/:callId', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
  });

  async function setup(env: Record<string, string>, reader?: CallStatusReader) {
    const config = loadConfig({ KFAAS_STATUS_WAIT_MAX: '20s', ...env });
    const app = createApp({
      config,
      provider: new MemoryProvider({ namespaces: config.allowedNamespaces }),
      logger,
      ...(config.auth.enabled ? { credentials: { user: USER, password: PASSWORD } } : {}),
      ...(reader ? { callStatus: reader } : {}),
    });
    served = await serve(app);
    return request(served.server);
  }

  it('answers the snapshot as JSON with ISO times, and 404 for an unknown id', async () => {
    const reader = new MapReader();
    reader.calls.set('call-1', status('succeeded'));
    const http = await setup({ basic_auth: 'false' }, reader);
    const res = await http.get('/async-calls/call-1');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      callId: 'call-1',
      function: 'echo',
      namespace: 'kfaas-fn',
      state: 'succeeded',
      attempts: 1,
      enqueuedAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:01.000Z',
      lastStatus: 200,
    });
    const missing = await http.get('/async-calls/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
    expect(reader.waits).toEqual([]);
  });

  it('long-polls with ?wait, capped at KFAAS_STATUS_WAIT_MAX', async () => {
    const reader = new MapReader();
    reader.calls.set('call-1', status('running'));
    const http = await setup({ basic_auth: 'false' }, reader);
    expect((await http.get('/async-calls/call-1?wait=2s')).body.state).toBe('running');
    await http.get('/async-calls/call-1?wait=5m');
    await http.get('/async-calls/call-1?wait');
    expect(reader.waits).toEqual([2_000, 20_000, 20_000]);
    const bad = await http.get('/async-calls/call-1?wait=soon');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('wait: "soon" is not a duration');
  });

  it('takes the invocation auth: open unless KFAAS_INVOKE_AUTH, then basic auth', async () => {
    const reader = new MapReader();
    reader.calls.set('call-1', status('queued'));
    const open = await setup({}, reader);
    expect((await open.get('/async-calls/call-1')).status).toBe(200);
    await served?.close();
    const guarded = await setup({ KFAAS_INVOKE_AUTH: 'true' }, reader);
    expect((await guarded.get('/async-calls/call-1')).status).toBe(401);
    expect((await guarded.get('/async-calls/call-1').auth(USER, PASSWORD)).status).toBe(200);
  });

  it('answers 501 on a gateway without a queue', async () => {
    const http = await setup({ basic_auth: 'false' });
    expect((await http.get('/async-calls/call-1')).status).toBe(501);
  });
});

describe('GET /async-calls/:callId/result', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
  });

  async function setup(reader: CallStatusReader) {
    const config = loadConfig({ basic_auth: 'false' });
    served = await serve(createApp({ config, provider: new MemoryProvider({ namespaces: config.allowedNamespaces }), logger, callStatus: reader }));
    return request(served.server);
  }

  it('replays the function answer: body, content type and headers, with its status in X-Result-Status', async () => {
    const reader = new MapReader();
    reader.calls.set('call-1', {
      ...status('failed'),
      result: { status: 422, headers: { 'content-type': 'text/plain', 'x-fn': 'yes', 'content-length': '999' }, bodyBase64: Buffer.from('nope').toString('base64'), bytes: 4, truncated: false },
    });
    const http = await setup(reader);
    const res = await http.get('/async-calls/call-1/result');
    expect(res.status).toBe(200);
    expect(res.text).toBe('nope');
    expect(res.headers).toMatchObject({ 'content-type': 'text/plain', 'x-fn': 'yes', 'x-result-status': '422', 'x-result-bytes': '4', 'x-call-state': 'failed', 'content-length': '4' });
    expect(res.headers['x-result-truncated']).toBeUndefined();
    const summary = await http.get('/async-calls/call-1');
    expect(summary.body.result).toEqual({ status: 422, bytes: 4, truncated: false });
  });

  it('answers an empty body with X-Result-Truncated when the body was too large to keep', async () => {
    const reader = new MapReader();
    reader.calls.set('call-1', { ...status('succeeded'), result: { status: 200, headers: {}, bytes: 300_000, truncated: true } });
    const res = await (await setup(reader)).get('/async-calls/call-1/result');
    expect(res.status).toBe(200);
    expect(res.headers['x-result-truncated']).toBe('true');
    expect(res.headers['x-result-bytes']).toBe('300000');
    expect(res.text).toBe('');
  });

  it('409 with the state while the call is not finished, 404 for an unknown call', async () => {
    const reader = new MapReader();
    reader.calls.set('call-1', status('retrying'));
    const http = await setup(reader);
    const busy = await http.get('/async-calls/call-1/result');
    expect(busy.status).toBe(409);
    expect(busy.headers['x-call-state']).toBe('retrying');
    expect(busy.body.message).toContain('call call-1 is retrying');
    expect((await http.get('/async-calls/call-2/result')).status).toBe(404);
  });
});

describe('DELETE /async-calls/:callId', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
  });

  async function setup(outcomes: Record<string, CancelOutcome>) {
    const canceller: CallCanceller = { cancel: async (id) => outcomes[id] };
    const config = loadConfig({ basic_auth: 'false' });
    served = await serve(createApp({ config, provider: new MemoryProvider({ namespaces: config.allowedNamespaces }), logger, callCanceller: canceller }));
    return request(served.server);
  }

  it('202 with the cancelled status; 409 naming the state when too late; 404 when unknown', async () => {
    const http = await setup({
      'call-1': { cancelled: true, status: status('cancelled') },
      'call-2': { cancelled: false, status: status('running') },
      'call-3': { cancelled: false, status: status('queued') },
    });
    const ok = await http.delete('/async-calls/call-1');
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ callId: 'call-1', state: 'cancelled' });
    const running = await http.delete('/async-calls/call-2');
    expect(running.status).toBe(409);
    expect(running.headers['x-call-state']).toBe('running');
    expect(running.body.message).toBe('call call-2 is running: only a queued or retrying call can be cancelled');
    const taken = await http.delete('/async-calls/call-3');
    expect(taken.status).toBe(409);
    expect(taken.body.message).toContain('queued, but a worker has already taken it');
    expect((await http.delete('/async-calls/call-9')).status).toBe(404);
  });
});

describe('parseWait', () => {
  it.each([
    [undefined, undefined],
    ['', 60_000],
    ['30s', 30_000],
    ['30', 30_000],
    ['2m', 60_000],
  ])('%p → %p', (value, expected) => {
    expect(parseWait(value, 60_000)).toBe(expected);
  });
});
