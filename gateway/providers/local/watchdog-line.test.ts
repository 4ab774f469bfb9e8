import { parseWatchdogLine } from './watchdog-line.js';

describe('parseWatchdogLine', () => {
  it.each([
    [
      '{"component":"watchdog","level":"info","message":"Forking fprocess.","timestamp":"2024-05-01T10:00:00.123Z"}',
      { text: 'Forking fprocess.', timestamp: '2024-05-01T10:00:00.123Z' },
    ],
    [
      '{"callId":"abc","component":"watchdog","level":"info","message":"Wrote 5 Bytes - Duration: 0.012 seconds","timestamp":"2024-05-01T10:00:00.200Z"}',
      { text: 'Wrote 5 Bytes - Duration: 0.012 seconds callId=abc', timestamp: '2024-05-01T10:00:00.200Z' },
    ],
    [
      '{"component":"watchdog","level":"info","message":"a line on stderr","stream":"stderr","attempt":2,"timestamp":"2024-05-01T10:00:00Z"}',
      { text: 'a line on stderr attempt=2', timestamp: '2024-05-01T10:00:00.000Z' },
    ],
    ['{"message":"no time"}', { text: 'no time' }],
    ['plain output', { text: 'plain output' }],
    ['{"not":"a record"}', { text: '{"not":"a record"}' }],
    ['{broken json', { text: '{broken json' }],
    ['[1,2]', { text: '[1,2]' }],
  ])('%s', (raw, expected) => {
    expect(parseWatchdogLine(raw)).toEqual(expected);
  });
});
