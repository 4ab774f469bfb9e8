/** HTTP basic auth for /system (and optionally invocation) routes, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KfaasError } from '../../common/errors.js';

export { PASSWORD_FILE, readBasicAuthCredentials, USER_FILE, type BasicAuthCredentials } from '../../runtime/basic-auth-credentials.js';
import type { BasicAuthCredentials } from '../../runtime/basic-auth-credentials.js';

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
