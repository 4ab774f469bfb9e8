import { brokerList, intAtLeast, nonEmpty } from './validate.js';

describe('option validation', () => {
  it.each([
    ['maxInflight', 0, 1, /maxInflight: must be an integer >= 1 \(got 0\)/],
    ['partitions', 2.5, 1, /partitions: must be an integer >= 1 \(got 2.5\)/],
    ['x', Number.NaN, 0, /x: must be an integer >= 0 \(got null\)/],
  ])('intAtLeast rejects %s=%p', (name, value, min, message) => {
    expect(() => intAtLeast(name, value, min)).toThrow(message);
  });

  it('intAtLeast returns valid values', () => {
    expect(intAtLeast('n', 3, 1)).toBe(3);
  });

  it('nonEmpty names the option', () => {
    expect(() => nonEmpty('topic', ' ')).toThrow(/topic: must be a non-empty string/);
    expect(nonEmpty('topic', 't')).toBe('t');
  });

  it.each([[[]], [['localhost']], [['http://h:9092']], [['h:9092', 'bad port:1']]])('brokerList rejects %j', (brokers) => {
    expect(() => brokerList('brokers', brokers)).toThrow(/brokers: /);
  });

  it('brokerList accepts host:port, IPv4 and bracketed IPv6', () => {
    expect(brokerList('brokers', ['kafka-0.kafka:9092', '127.0.0.1:19092', '[::1]:9092'])).toHaveLength(3);
  });
});
