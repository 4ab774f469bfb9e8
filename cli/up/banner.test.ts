import { renderBanner } from './banner.js';

const URL = 'http://127.0.0.1:8080';

describe('renderBanner', () => {
  it('with no stack file suggests a deploy before the first call, and no call to a function that does not exist', () => {
    const text = renderBanner(URL, [], 'admin', '.kfaas/auth/basic-auth-password');
    const deploy = text.indexOf(`-u admin:$(cat .kfaas/auth/basic-auth-password) ${URL}/system/functions -d '{"service":"echo"`);
    const call = text.indexOf(`curl -s ${URL}/function/echo -d 'hello kfaas'`);
    expect(deploy).toBeGreaterThan(0);
    expect(call).toBeGreaterThan(deploy);
    expect(text).not.toContain('/async-function/');
  });

  it('with functions suggests calls to them', () => {
    const text = renderBanner(URL, [{ name: 'hello', image: 'x', handler: 'cat' }], 'admin', 'pw');
    expect(text).toContain(`curl -s ${URL}/function/hello -d 'hello kfaas'`);
    expect(text).not.toContain('"service":"echo"');
  });
});
