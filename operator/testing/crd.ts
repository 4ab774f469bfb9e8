/** Loads the canonical CRD and the sample Function fixtures, for the schema check and the integration tests. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { FunctionResource } from '../../common/function-types.js';

/** The repository root (where package.json is). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('no package.json above operator/testing');
    dir = parent;
  }
  return dir;
}

/** Path of the canonical CRD file. */
export function crdPath(): string {
  return path.join(repoRoot(), 'crds', 'functions.kfaas.dev.yaml');
}

/** The parsed CRD (a plain object). */
export function loadCrd(): any {
  return YAML.parse(fs.readFileSync(crdPath(), 'utf8'));
}

/** A sample Function file and its parsed content. */
export interface Fixture {
  readonly file: string;
  readonly resource: FunctionResource;
}

/** Loads `test/fixtures/functions/<sub>/*.yaml`. */
export function loadFixtures(sub: '' | 'invalid' = ''): Fixture[] {
  const dir = path.join(repoRoot(), 'test', 'fixtures', 'functions', sub);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: path.join(sub, f), resource: YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as FunctionResource }));
}
