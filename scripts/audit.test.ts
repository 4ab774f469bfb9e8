import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// scripts/audit.sh reads a saved report with --report, so its three verdicts are checked without the registry.
const AUDIT = fileURLToPath(new URL('./audit.sh', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kfaas-audit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function audit(report: unknown): { status: number | null; stdout: string; stderr: string } {
  const file = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof report === 'string' ? report : JSON.stringify(report));
  const r = spawnSync('bash', [AUDIT, '--report', file], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const none = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 };

describe('scripts/audit.sh', () => {
  it('passes a report with no findings', () => {
    const r = audit({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: none, dependencies: { prod: 203 } } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('no advisories for 203 production dependencies');
  });

  it('fails on findings, naming the package, the advisory and whether a fix exists', () => {
    const r = audit({
      auditReportVersion: 2,
      vulnerabilities: {
        'path-to-regexp': {
          name: 'path-to-regexp',
          severity: 'high',
          range: '8.0.0 - 8.3.0',
          via: [{ title: 'ReDoS via sequential optional groups', url: 'https://example.test/advisory/1' }],
          fixAvailable: true,
        },
        router: { name: 'router', severity: 'high', range: '2.0.0 - 2.2.0', via: ['path-to-regexp'], fixAvailable: false },
      },
      metadata: { vulnerabilities: { ...none, high: 2, total: 2 }, dependencies: { prod: 203 } },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('high     path-to-regexp 8.0.0 - 8.3.0: ReDoS via sequential optional groups (https://example.test/advisory/1); fix available');
    expect(r.stdout).toContain('router 2.0.0 - 2.2.0: through path-to-regexp; no fix released');
    expect(r.stdout).toContain('2 finding(s) in the production dependencies (2 high)');
  });

  it('exits 2, not 0, when the advisory endpoint refused the audit', () => {
    const r = audit({ message: '405 Method Not Allowed - POST /-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the advisory endpoint did not answer (405 Method Not Allowed');
    expect(r.stderr).toContain('docs/dependency-audit.md');
  });

  it('exits 2 when the report is not JSON', () => {
    const r = audit('npm error network request failed');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the npm audit report is not JSON');
  });
});
