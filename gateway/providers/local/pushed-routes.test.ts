import { DEFAULT_POLICY } from '../../../common/delivery-policy.js';
import { createPushedRoutes } from './pushed-routes.js';

describe('createPushedRoutes', () => {
  const fn = (name: string, endpoints: string[]) => ({ name, namespace: 'openfaas-fn', endpoints, policy: DEFAULT_POLICY });

  it('is ready with the first routes and resolves from the latest ones', async () => {
    const routes = createPushedRoutes('openfaas-fn');
    let ready = false;
    void routes.provider.ready().then(() => (ready = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ready).toBe(false);
    routes.update([fn('echo', ['http://127.0.0.1:1'])]);
    await routes.provider.ready();
    expect(await routes.provider.resolver.resolve('echo', 'openfaas-fn')).toMatchObject({ endpoints: ['http://127.0.0.1:1'] });
    routes.update([]);
    expect(await routes.provider.resolver.resolve('echo', 'openfaas-fn')).toBeUndefined();
  });

  it('serves here only sync calls to a function with a ready endpoint', () => {
    const routes = createPushedRoutes('openfaas-fn');
    routes.update([fn('echo', ['http://127.0.0.1:1']), fn('idle', [])]);
    expect(routes.servesHere('/function/echo')).toBe(true);
    expect(routes.servesHere('/function/echo/sub/path?x=1')).toBe(true);
    expect(routes.servesHere('/function/echo?x=1')).toBe(true);
    expect(routes.servesHere('/function/echo.openfaas-fn')).toBe(true);
    // At zero (the owner scales it and waits), elsewhere, unknown, and every other route: the owner's.
    expect(routes.servesHere('/function/idle')).toBe(false);
    expect(routes.servesHere('/function/echo.other-ns')).toBe(false);
    expect(routes.servesHere('/function/nope')).toBe(false);
    expect(routes.servesHere('/async-function/echo')).toBe(false);
    expect(routes.servesHere('/system/functions')).toBe(false);
    expect(routes.servesHere('/metrics')).toBe(false);
  });
});
