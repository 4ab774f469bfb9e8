/**
 * The `kfaas` executable as users meet it: --help and --version, and `kfaas generate`, whose Function
 * resources must be accepted by the real apiserver with the product CRD installed (strict field validation).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KFAAS_VERSION } from '../../common/version.js';
import { apiClient, applyCrd, createNamespace, deleteNamespace } from '../../operator/testing/kube-test-kit.js';
import { kubeConfigFor, loadServices, uniqueName } from '../helpers/index.js';
import { CLI, ROOT } from './compat-support.js';

function kfaas(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the kfaas command', () => {
  it('lists every subcommand in --help', () => {
    const r = kfaas('--help');
    expect(r.status).toBe(0);
    for (const sub of ['gateway', 'worker', 'operator', 'watchdog', 'up', 'generate', 'dead-letters']) expect(r.stdout).toMatch(new RegExp(`^\\s+${sub}\\b`, 'm'));
  });

  it('prints its version', () => {
    const r = kfaas('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(KFAAS_VERSION);
  });

  it('names an unknown subcommand', () => {
    const r = kfaas('deploy');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unknown command 'deploy'");
  });
});

describe('kfaas generate', () => {
  const state = loadServices();
  const kc = kubeConfigFor(state);
  const ns = uniqueName('gen');

  afterAll(async () => {
    await deleteNamespace(await apiClient(kc), ns).catch(() => undefined);
  });

  it('turns the example stack into Function resources the apiserver accepts as they are', async () => {
    const r = kfaas('generate', '-f', 'examples/stack.yaml', '-n', ns, '--image', 'ghcr.io/acme/kfaas-functions:0.1.0');
    expect(r.status).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> });
    expect(docs.map((d) => d.metadata.name).sort()).toEqual(['always-fail', 'binary', 'callback-log', 'echo', 'flaky', 'sleep', 'word-count']);
    const client = await apiClient(kc);
    await applyCrd(client);
    await createNamespace(client, ns);
    for (const doc of docs) {
      expect(doc).toMatchObject({ kind: 'Function', metadata: { namespace: ns } });
      // Strict validation: an unknown or misspelt field would be refused, not silently pruned.
      await client.request('POST', `/apis/kfaas.dev/v1alpha1/namespaces/${ns}/functions`, { body: doc, query: { fieldValidation: 'Strict' } });
    }
    const flaky = (await client.request('GET', `/apis/kfaas.dev/v1alpha1/namespaces/${ns}/functions/flaky`)) as { spec: Record<string, unknown> };
    expect(flaky.spec).toMatchObject({ handler: 'node functions/flaky.mjs', retry: { maxAttempts: 4, minBackoff: '500ms', maxBackoff: '2s' } });
  });

  it('names the file, the field and the problem of a bad stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-gen-'));
    const file = join(dir, 'stack.yaml');
    writeFileSync(file, 'functions:\n  echo: {handler: cat, retry: {maxAttempts: 0}}\n');
    const r = kfaas('generate', '-f', file);
    rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}: functions.echo.retry.maxAttempts: must be >= 1`);
  });
});
