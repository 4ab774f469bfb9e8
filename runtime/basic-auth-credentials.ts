/**
 * Reads HTTP basic-auth credentials as OpenFaaS does: from settings (env) when given, else from the
 * `basic-auth-user` and `basic-auth-password` files under the secret mount path. The gateway checks them; the
 * worker sends them to the gateway's /system routes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where credentials come from when basic auth is on. */
export interface BasicAuthSettings {
  readonly enabled: boolean;
  /** Directory holding the `basic-auth-user` and `basic-auth-password` files. */
  readonly secretMountPath: string;
  readonly user?: string;
  readonly password?: string;
}

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
  auth: BasicAuthSettings,
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

