/** HTTP basic auth for /system (and optionally invocation) routes, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KfaasError } from '../../common/errors.js';
import type { AuthConfig } from '../config.js';

/** A user name and password pair. */
export interface BasicAuthCredentials {
  readonly user: string;
  readonly password: string;
}

/** The file names OpenFaaS reads under its secret mount path. */
export const USER_FILE = 'basic-auth-user';
export const PASSWORD_FILE = 'basic-auth-password';

/**
 * Loads the credentials when basic auth is on: from config (env) if given, else from the two files under the
 * secret mount path. Throws naming the missing file, so a gateway never starts with auth silently off.
 */
export function readBasicAuthCredentials(
  auth: AuthConfig,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): BasicAuthCredentials | undefined {
  if (!auth.enabled) return undefined;
  if (auth.user !== undefined && auth.password !== undefined) return { user: auth.user, password: auth.password };
  const read = (name: string): string => {
    const path = join(auth.secretMountPath, name);
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      throw new Error(`basic_auth is on but ${path} cannot be read (${(err as Error).message}); set KFAAS_BASIC_AUTH_USER/PASSWORD or basic_auth=false`);
    }
    // Secret files usually end with a newline that is not part of the value.
    const value = text.replace(/\r?\n$/, '');
    if (value === '') throw new Error(`basic_auth is on but ${path} is empty`);
    return value;
  };
  return { user: read(USER_FILE), password: read(PASSWORD_FILE) };
}

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/** A middleware (Express- and plain-node-compatible) that rejects requests without the right credentials. */
export type AuthMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Creates the basic-auth middleware; a 401 carries `WWW-Authenticate: Basic realm="Restricted"`. */
export function createBasicAuth(credentials: BasicAuthCredentials): AuthMiddleware {
  // Hashing both sides gives equal-length buffers, so timingSafeEqual never leaks the secret's length.
  const userDigest = digest(credentials.user);
  const passwordDigest = digest(credentials.password);
  return (req, _res, next) => {
    const supplied = parseBasic(req.headers.authorization);
    const userOk = timingSafeEqual(digest(supplied?.user ?? ''), userDigest);
    const passwordOk = timingSafeEqual(digest(supplied?.password ?? ''), passwordDigest);
    if (supplied && userOk && passwordOk) {
      next();
      return;
    }
    next(new KfaasError('UNAUTHORIZED', 'invalid credentials', { headers: { 'www-authenticate': 'Basic realm="Restricted"' } }));
  };
}

/** Parses an `Authorization: Basic …` header; undefined when absent or malformed. */
export function parseBasic(header: string | undefined): BasicAuthCredentials | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
