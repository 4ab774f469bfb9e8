import request from 'supertest';
import winston from 'winston';
import { KfaasError } from '../../../common/errors.js';
import { createApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import type { LogLine, LogQuery, LogSource } from '../../ports.js';
import { MemoryProvider } from '../../testing/memory-provider.js';
import { serve, type Served } from '../../testing/serve.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

const logger = winston.createLogger({ silent: true });

const line = (instance: string, text: string): LogLine => ({ name: 'fn', namespace: 'openfaas-fn', instance, timestamp: '2024-05-01T10:00:00.000Z', text });

/** A LogSource that records each query and serves fixed lines, or follows until the reader leaves. */
class RecordingLogs implements LogSource {
  readonly queries: LogQuery[] = [];
  refusal: KfaasError | undefined;
  constructor(private readonly lines: LogLine[]) {}
  async read(query: LogQuery): Promise<AsyncIterable<LogLine>> {
    this.queries.push(query);
    if (this.refusal) throw this.refusal;
    const lines = this.lines;
    return (async function* () {
      yield* lines;
      if (!query.follow) return;
      await new Promise<void>((resolve) => query.signal.addEventListener('abort', () => resolve(), { once: true }));
    })();
  }
}

class ProviderWithLogs extends MemoryProvider {
  constructor(readonly logs: RecordingLogs) {
    super({ namespaces: ['openfaas-fn', 'other'] });
  }
}

describe('GET /system/logs', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  const baseUrl = (): string => `http://127.0.0.1:${(served!.server.address() as { port: number }).port}`;

  async function setup(lines: LogLine[] = [line('fn-0', 'Forking fprocess.'), line('fn-1', 'Wrote 5 Bytes - Duration: 0.01 seconds')]) {
    const logs = new RecordingLogs(lines);
    const provider = new ProviderWithLogs(logs);
    provider.put({ name: 'fn' });
    const config = loadConfig({ basic_auth: 'false', KFAAS_ALLOWED_NAMESPACES: 'openfaas-fn,other' });
    served = await serve(createApp({ config, provider, logger }));
    return { logs, http: request(served.server) };
  }

  it('answers NDJSON, one line per log line, in the faas-provider shape', async () => {
    const { http } = await setup();
    const res = await http.get('/system/logs?name=fn').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.text.split('\n')).toEqual([JSON.stringify(line('fn-0', 'Forking fprocess.')), JSON.stringify(line('fn-1', 'Wrote 5 Bytes - Duration: 0.01 seconds')), '']);
  });

  it.each([
    // faas-cli sends tail=-1 unless --lines is given: zero or less means no limit, as in faas-provider.
    ['name=fn&follow=false&tail=-1', { follow: false }],
    ['name=fn&tail=0', { follow: false }],
    ['name=fn&tail=5&follow=true', { follow: true, tail: 5 }],
    ['name=fn&follow=1&since=2024-05-01T09:00:00Z', { follow: true, sinceMs: Date.parse('2024-05-01T09:00:00Z') }],
    ['name=fn&namespace=openfaas-fn&follow=F', { follow: false }],
  ])('passes ?%s to the source as %j', async (qs, expected) => {
    const { logs } = await setup();
    // fetch resolves on the status line, so a followed stream need not end; aborting leaves it.
    const abort = new AbortController();
    const res = await fetch(`${baseUrl()}/system/logs?${qs}`, { signal: abort.signal });
    expect(res.status).toBe(200);
    abort.abort();
    const { signal, ...query } = logs.queries[0]!;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(query).toEqual({ name: 'fn', namespace: 'openfaas-fn', ...expected });
  });

  it('keeps only the asked instance', async () => {
    const { http, logs } = await setup();
    const res = await http.get('/system/logs?name=fn&instance=fn-1').expect(200);
    expect(res.text.trim().split('\n').map((l) => JSON.parse(l).instance)).toEqual(['fn-1']);
    expect(logs.queries[0]!.instance).toBe('fn-1');
  });

  it.each([
    ['name=fn&tail=x', 'tail: must be a whole number (got "x")'],
    ['name=fn&tail=1.5', 'tail: must be a whole number (got "1.5")'],
    ['name=fn&since=yesterday', 'since: must be an RFC 3339 time (got "yesterday")'],
    ['name=fn&follow=yes', 'follow: must be true or false (got "yes")'],
    ['name=fn&namespace=kube-system', 'namespace must be: openfaas-fn, other'],
    ['name=Bad_Name', 'name: '],
    ['', 'name: '],
  ])('refuses ?%s with 400 naming the parameter', async (qs, message) => {
    const { http, logs } = await setup();
    const res = await http.get(`/system/logs?${qs}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect(logs.queries).toHaveLength(0);
  });

  it('answers 404 for an unknown function without asking the source', async () => {
    const { http, logs } = await setup();
    await http.get('/system/logs?name=ghost').expect(404);
    expect(logs.queries).toHaveLength(0);
  });

  it('answers with the source refusal status (501) instead of starting a stream', async () => {
    const { http, logs } = await setup();
    logs.refusal = new KfaasError('NOT_IMPLEMENTED', 'no started pods for function fn.openfaas-fn (1 Pending)');
    const res = await http.get('/system/logs?name=fn');
    expect(res.status).toBe(501);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ code: 'NOT_IMPLEMENTED', message: 'no started pods for function fn.openfaas-fn (1 Pending)' });
  });

  it('streams with follow until the client leaves, then stops reading the source', async () => {
    const { logs } = await setup();
    const abort = new AbortController();
    const res = await fetch(`${baseUrl()}/system/logs?name=fn&follow=true`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (text.split('\n').length < 3) text += new TextDecoder().decode((await reader.read()).value);
    expect(text.trim().split('\n').map((l) => JSON.parse(l).text)).toEqual(['Forking fprocess.', 'Wrote 5 Bytes - Duration: 0.01 seconds']);
    const signal = logs.queries[0]!.signal;
    expect(signal.aborted).toBe(false);
    abort.abort();
    await waitFor(() => signal.aborted, { timeoutMs: 5000, intervalMs: 10, description: 'the provider query to be aborted' });
  });
});
