/** The `kfaas` command tree: each subcommand starts one process of the platform. */
import { Command } from 'commander';
import { KFAAS_VERSION } from '../common/version.js';

/** Builds the command tree; each subcommand loads its process's composition root only when run. */
export function buildProgram(): Command {
  const program = new Command('kfaas')
    .description('kfaas: functions on Kubernetes with durable async invocation on Kafka')
    .version(KFAAS_VERSION, '-v, --version')
    .showHelpAfterError();

  program
    .command('gateway')
    .description('run the HTTP gateway (/function, /async-function, /system)')
    .action(async () => (await import('../gateway/main.js')).main());

  program
    .command('worker')
    .description('run the async worker that consumes queued calls from Kafka')
    .option('--queue <name>', 'consume a dedicated queue instead of the shared one')
    .action(async (opts: { queue?: string }) => (await import('../worker/main.js')).main(opts));

  program
    .command('operator')
    .description('run the Kubernetes operator that reconciles Function resources')
    .action(async () => (await import('../operator/main.js')).main());

  program
    .command('watchdog')
    .description('run the function watchdog (the entrypoint of every function container)')
    .action(async () => (await import('../watchdog/main.js')).main());

  program
    .command('up')
    .description('run the whole platform on this machine: gateway, worker, embedded queue and functions')
    .option('-f, --file <path>', 'stack file with the functions to start')
    .option('-p, --port <port>', 'gateway port on 127.0.0.1', '8080')
    .option('--data-dir <dir>', 'where the durable queue, secrets and state live', '.kfaas')
    .option('--secrets-dir <dir>', 'directory of function secrets (default: <data-dir>/secrets)')
    .option('--max-inflight <n>', 'async calls each worker runs at once', '100')
    .action(async (opts: Record<string, string | undefined>) => (await import('./up/main.js')).main(opts));

  program
    .command('generate')
    .description('print the Function resources of a stack file, for kubectl apply -f -')
    .requiredOption('-f, --file <path>', 'stack file')
    .option('-n, --namespace <ns>', 'namespace of the resources', 'openfaas-fn')
    .option('--image <image>', 'image for functions whose stack entry names none')
    .action(async (opts: { file: string; namespace: string; image?: string }) => (await import('./generate-command.js')).main(opts));

  const deadLetters = program
    .command('dead-letters')
    .description('list the dead letters of a local platform (kfaas up), newest first')
    .option('--data-dir <dir>', 'data directory of kfaas up', '.kfaas')
    .option('--function <name>', 'only this function')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON lines instead of a table')
    .action(async (opts: Record<string, string | boolean | undefined>) => (await import('./dead-letters-command.js')).main(opts));
  deadLetters
    .command('redrive')
    .description("enqueue dead-lettered calls again (same call ids, attempts reset) through a gateway's /system API")
    .option('--call-id <id...>', 'these calls')
    .option('--function <name>', "this function's dead letters")
    .option('--namespace <ns>', 'namespace of --function', 'openfaas-fn')
    .option('--all', 'every dead letter')
    .option('--gateway <url>', 'gateway URL', 'http://127.0.0.1:8080')
    .option('-u, --user <user>', 'basic-auth user of /system (admin under kfaas up)')
    .option('-p, --password <password>', 'basic-auth password')
    .option('--password-file <path>', 'read the password from this file (e.g. .kfaas/auth/basic-auth-password)')
    .action(async (opts: Record<string, string | string[] | boolean | undefined>) => (await import('./redrive-command.js')).main(opts));

  const calls = program
    .command('calls')
    .description("what became of an async call, asked of a gateway's /async-calls API");
  for (const [action, description] of [
    ['get', 'print the status of a call'],
    ['wait', 'wait until a call is final (exit 3 if --timeout passes first), then print its status'],
    ['cancel', 'cancel a queued or retrying call'],
  ] as const) {
    calls
      .command(`${action} <callId>`)
      .description(description)
      .option('--gateway <url>', 'gateway URL', 'http://127.0.0.1:8080')
      .option('-u, --user <user>', 'basic-auth user, when the gateway sets KFAAS_INVOKE_AUTH')
      .option('-p, --password <password>', 'basic-auth password')
      .option('--password-file <path>', 'read the password from this file (e.g. .kfaas/auth/basic-auth-password)')
      .option('--timeout <duration>', 'wait: longest wait (capped by the gateway)', '60s')
      .action(async (callId: string, opts: Record<string, string | undefined>) => (await import('./calls-command.js')).main(action, callId, opts));
  }

  return program;
}
