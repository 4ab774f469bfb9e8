import request from 'supertest';
import winston from 'winston';
import type { DeadLetterRedriver, RedriveSelector } from '../../../common/call-status.js';
import { createApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { MemoryProvider } from '../../testing/memory-provider.js';
import { serve, type Served } from '../../testing/serve.js';
import { parseRedriveSelector } from './redrive.js';

const logger = winston.createLogger({ silent: true });

describe('POST /system/dead-letters/redrive', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
  });

  it('passes the selector on and answers 202 with what was redriven, behind /system auth', async () => {
    const asked: RedriveSelector[] = [];
    const redriver: DeadLetterRedriver = {
      redrive: async (selector) => {
        asked.push(selector);
        return { redriven: ['c-1'], skipped: 2 };
      },
    };
    const config = loadConfig({ KFAAS_BASIC_AUTH_USER: 'admin', KFAAS_BASIC_AUTH_PASSWORD: 'pw' });
    served = await serve(
      createApp({ config, provider: new MemoryProvider({ namespaces: config.allowedNamespaces }), logger, credentials: { user: 'admin', password: 'pw' }, redriver }),
    );
    const http = request(served.server);
    expect((await http.post('/system/dead-letters/redrive').send({ all: true })).status).toBe(401);
    const res = await http.post('/system/dead-letters/redrive').auth('admin', 'pw').send({ function: 'f', namespace: 'kfaas-fn' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ redriven: ['c-1'], skipped: 2 });
    expect(asked).toEqual([{ function: 'f', namespace: 'kfaas-fn' }]);
    const bad = await http.post('/system/dead-letters/redrive').auth('admin', 'pw').send({ all: false });
    expect(bad.status).toBe(400);
  });
});

describe('parseRedriveSelector', () => {
  it.each([
    [{ callIds: ['a', 'b'] }, { callIds: ['a', 'b'] }],
    [{ function: 'f', namespace: 'ns' }, { function: 'f', namespace: 'ns' }],
    [{ all: true }, { all: true }],
  ])('%j', (body, expected) => {
    expect(parseRedriveSelector(body)).toEqual(expected);
  });

  it.each([
    [{}, 'exactly one of'],
    [{ all: true, callIds: ['a'] }, 'exactly one of'],
    [{ all: 'yes' }, 'all: must be true'],
    [{ callIds: [] }, 'callIds: must be 1 to 1000 call ids'],
    [{ callIds: ['not valid'] }, 'callIds'],
    [{ function: 'f' }, 'function and namespace'],
  ])('refuses %j', (body, message) => {
    expect(() => parseRedriveSelector(body)).toThrow(message);
  });
});
