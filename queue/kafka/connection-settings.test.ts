import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaAuthOptions, parseKafkaSettings } from './connection-settings.js';

describe('parseKafkaSettings', () => {
  it('defaults to plaintext without SASL', () => {
    expect(parseKafkaSettings({ KAFKA_BROKERS: 'a:9092,b:9092' }, 'gateway', 'kfaas-gateway')).toEqual({
      brokers: ['a:9092', 'b:9092'],
      clientId: 'kfaas-gateway',
      partitions: 6,
    });
  });

  it('reads TLS and SASL', () => {
    const s = parseKafkaSettings(
      { KAFKA_BROKERS: 'a:9093', KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/ca.pem', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_CLIENT_ID: 'x', KFAAS_TOPIC_PARTITIONS: '12' },
      'worker',
      'kfaas-worker',
    );
    expect(s).toEqual({
      brokers: ['a:9093'],
      clientId: 'x',
      tls: { rejectUnauthorized: true, caFile: '/ca.pem' },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      partitions: 12,
    });
  });

  it.each([
    [{ KAFKA_BROKERS: 'nohost' }, 'gateway config KAFKA_BROKERS="nohost": "nohost" is not host:port'],
    [{ KAFKA_TLS_CA_FILE: '/ca' }, 'KAFKA_TLS="": must be true when a KAFKA_TLS_*_FILE is set'],
    [{ KAFKA_TLS: 'true', KAFKA_TLS_CERT_FILE: '/c' }, 'KAFKA_TLS_KEY_FILE="": client certificate and key must be set together'],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM="gssapi": must be one of plain'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_PASSWORD="": is required'],
    [{ KFAAS_TOPIC_PARTITIONS: '0' }, 'KFAAS_TOPIC_PARTITIONS="0": must be between 1'],
  ])('rejects %j naming the key', (env, message) => {
    expect(() => parseKafkaSettings(env, 'gateway', 'id')).toThrow(message);
  });
});

describe('kafkaAuthOptions', () => {
  it('reads the TLS files and names one that is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    const ok = kafkaAuthOptions({ brokers: [], clientId: 'c', partitions: 1, tls: { rejectUnauthorized: false, caFile: join(dir, 'ca.pem') } });
    expect(ok.ssl).toEqual({ rejectUnauthorized: false, ca: 'CA' });
    expect(() => kafkaAuthOptions({ brokers: [], clientId: 'c', partitions: 1, tls: { rejectUnauthorized: true, caFile: join(dir, 'nope.pem') } })).toThrow(
      /cannot read Kafka TLS file .*nope\.pem: ENOENT/,
    );
  });
});
