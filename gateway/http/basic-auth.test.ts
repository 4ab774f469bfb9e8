import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfig } from '../config.js';
import { createBasicAuth, parseBasic, readBasicAuthCredentials } from './basic-auth.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('readBasicAuthCredentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kfaas-auth-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the two files under secret_mount_path, without the trailing newline', () => {
    writeFileSync(join(dir, 'basic-auth-user'), 'admin\n');
    writeFileSync(join(dir, 'basic-auth-password'), 'p@ss:word\n');
    expect(readBasicAuthCredentials(loadConfig({ secret_mount_path: dir }).auth)).toEqual({ user: 'admin', password: 'p@ss:word' });
  });

  it('prefers credentials from the environment', () => {
    const auth = loadConfig({ secret_mount_path: dir, KFAAS_BASIC_AUTH_USER: 'u', KFAAS_BASIC_AUTH_PASSWORD: 'p' }).auth;
    expect(readBasicAuthCredentials(auth)).toEqual({ user: 'u', password: 'p' });
  });

  it('fails naming the missing file, and is skipped when basic auth is off', () => {
    expect(() => readBasicAuthCredentials(loadConfig({ secret_mount_path: dir }).auth)).toThrow(`${join(dir, 'basic-auth-user')} cannot be read`);
    writeFileSync(join(dir, 'basic-auth-user'), 'admin');
    writeFileSync(join(dir, 'basic-auth-password'), '\n');
    expect(() => readBasicAuthCredentials(loadConfig({ secret_mount_path: dir }).auth)).toThrow(/basic-auth-password is empty/);
    expect(readBasicAuthCredentials(loadConfig({ secret_mount_path: dir, basic_auth: 'false' }).auth)).toBeUndefined();
  });
});

describe('createBasicAuth', () => {
  const auth = createBasicAuth({ user: 'admin', password: 'secret' });
  const run = (authorization?: string): unknown => {
    let result: unknown = 'not called';
    auth({ headers: authorization === undefined ? {} : { authorization } } as IncomingMessage, {} as ServerResponse, (err) => (result = err));
    return result;
  };

  it('passes the right credentials', () => {
    expect(run(basic('admin', 'secret'))).toBeUndefined();
  });

  it.each([
    ['no header', undefined],
    ['wrong password', basic('admin', 'nope')],
    ['wrong user', basic('root', 'secret')],
    ['prefix of the password', basic('admin', 'secre')],
    ['other scheme', 'Bearer abc'],
    ['garbage', 'Basic !!!'],
  ])('rejects %s with a 401 carrying WWW-Authenticate', (_label, header) => {
    expect(run(header)).toMatchObject({ code: 'UNAUTHORIZED', statusCode: 401, headers: { 'www-authenticate': 'Basic realm="Restricted"' } });
  });

  it('parses passwords containing colons', () => {
    expect(parseBasic(basic('u', 'a:b:c'))).toEqual({ user: 'u', password: 'a:b:c' });
  });
});
