/** Basic-auth credentials of a local platform: generated once, kept in the data dir with mode 0600. */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the credentials live and what they are. */
export interface LocalCredentials {
  /** Directory with `basic-auth-user` and `basic-auth-password`, the layout the gateway reads. */
  readonly dir: string;
  readonly user: string;
  readonly password: string;
}

/** The directory of a local platform's credentials, the gateway's `secret_mount_path`. */
export function credentialsDir(dataDir: string): string {
  return join(dataDir, 'auth');
}

/** Reads the credentials under `dataDir/auth`, creating them on first use. */
export function ensureCredentials(dataDir: string): LocalCredentials {
  const dir = credentialsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const userFile = join(dir, 'basic-auth-user');
  const passwordFile = join(dir, 'basic-auth-password');
  if (!existsSync(userFile) || !existsSync(passwordFile)) {
    writeFileSync(userFile, 'admin', { mode: 0o600 });
    writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  chmodSync(passwordFile, 0o600);
  return {
    dir,
    user: readFileSync(userFile, 'utf8').trim(),
    password: readFileSync(passwordFile, 'utf8').trim(),
  };
}
