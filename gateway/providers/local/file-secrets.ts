/**
 * Secrets of the local provider: one file per secret in a directory (mode 0600), the layout OpenFaaS mounts
 * at /var/openfaas/secrets. Local functions find the directory in $KFAAS_SECRETS_DIR.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KfaasError } from '../../../common/errors.js';
import type { SecretStore, SecretValue } from '../../ports.js';

/** A SecretStore over files in `dir`. Local secrets are shared by all namespaces; the namespace is reported back. */
export class FileSecretStore implements SecretStore {
  constructor(private readonly dir: string) {}

  async list(namespace: string): Promise<Array<{ name: string; namespace: string }>> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((n) => !n.startsWith('.'))
      .sort()
      .map((name) => ({ name, namespace }));
  }

  async create(secret: SecretValue): Promise<void> {
    if (await this.exists(secret.name)) throw new KfaasError('CONFLICT', `secret ${secret.name} already exists`);
    await this.write(secret);
  }

  async update(secret: SecretValue): Promise<void> {
    if (!(await this.exists(secret.name))) throw new KfaasError('NOT_FOUND', `secret ${secret.name} not found`);
    await this.write(secret);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.exists(name))) throw new KfaasError('NOT_FOUND', `secret ${name} not found`);
    await rm(join(this.dir, name));
  }

  /** True when every named secret exists (a deploy naming a missing one is refused, as OpenFaaS does). */
  async missing(names: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const name of names) if (!(await this.exists(name))) out.push(name);
    return out;
  }

  private async exists(name: string): Promise<boolean> {
    try {
      return (await stat(join(this.dir, name))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  private async write(secret: SecretValue): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Write then rename, so a function never reads half a secret.
    const tmp = join(this.dir, `.${secret.name}.tmp`);
    await writeFile(tmp, secret.value, { mode: 0o600 });
    await rename(tmp, join(this.dir, secret.name));
  }
}
