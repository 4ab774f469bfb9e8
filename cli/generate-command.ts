/** `kfaas generate -f stack.yaml`: the stack's functions as Function resources on stdout. */
import { loadStackFile } from './up/stack-file.js';
import { renderResources, toFunctionResources } from './generate.js';
import { dns1123Problem } from '../common/names.js';

/** Prints the resources, or names the problem and exits 2. */
export async function main(opts: { file: string; namespace: string; image?: string }): Promise<void> {
  try {
    const problem = dns1123Problem(opts.namespace);
    if (problem) throw new Error(`--namespace ${JSON.stringify(opts.namespace)}: ${problem}`);
    const stack = loadStackFile(opts.file);
    process.stdout.write(renderResources(toFunctionResources(stack.functions, opts.namespace, opts.image)));
  } catch (err) {
    process.stderr.write(`kfaas generate: ${(err as Error).message}\n`);
    process.exit(2);
  }
}
