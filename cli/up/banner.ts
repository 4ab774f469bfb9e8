/** What `kfaas up` prints once it is ready: the gateway, the functions and calls to paste. */
import type { FunctionSpec } from '../../common/function-types.js';

/** Renders the ready banner. */
export function renderBanner(
  url: string,
  functions: readonly FunctionSpec[],
  user: string,
  passwordFile: string,
  notReady: readonly string[] = [],
): string {
  const names = functions.map((f) => f.name);
  const pick = (preferred: string): string => (names.includes(preferred) ? preferred : names[0]!);
  const auth = `-u ${user}:$(cat ${passwordFile})`;
  const tryLines =
    functions.length > 0
      ? [
          `  curl -s ${url}/function/${pick('echo')} -d 'hello kfaas'`,
          `  curl -si ${url}/async-function/${pick('flaky')} -d 'queued' -H 'X-Callback-Url: ${url}/function/${pick('callback-log')}'`,
          `  curl -s ${url}/function/${pick('callback-log')}                 # what callbacks arrived`,
        ]
      : [
          // Nothing runs yet, so the first call to suggest is the deploy that makes the second one work.
          `  curl -s ${auth} ${url}/system/functions -d '{"service":"echo","image":"local/echo","envProcess":"cat"}'`,
          `  curl -s ${url}/function/echo -d 'hello kfaas'`,
        ];
  const lines = [
    '',
    `kfaas is up: ${url}`,
    '',
    functions.length > 0 ? 'Functions:' : 'No functions yet: deploy one with POST /system/functions (see below).',
    ...functions.map(
      (f) => `  ${f.name.padEnd(16)} ${(f.mode ?? 'fork').padEnd(6)} ${f.handler ?? ''}${notReady.includes(f.name) ? '   (NOT READY: see its log above)' : ''}`,
    ),
    '',
    'Try:',
    ...tryLines,
    `  curl -s ${auth} ${url}/system/functions`,
    `  curl -s ${auth} ${url}/system/dead-letters`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}
