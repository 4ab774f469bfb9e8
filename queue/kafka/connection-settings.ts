/**
 * Kafka connection settings from the environment, shared by the gateway and the worker so both read the same
 * names (the Helm chart sets them): brokers, client id, TLS and SASL. Parsing is pure; the TLS files are read
 * only when the connection options are built.
 */
import { readFileSync } from 'node:fs';
import type { SASLOptions } from 'kafkajs';
import { pickEnv, splitList, validators, type Env, type Validators } from '../../common/env.js';

/** TLS settings; file paths are read by kafkaConnection(). */
export interface KafkaTlsSettings {
  readonly rejectUnauthorized: boolean;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** SASL settings. */
export interface KafkaSaslSettings {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** Where the brokers are and how to authenticate. */
export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly tls?: KafkaTlsSettings;
  readonly sasl?: KafkaSaslSettings;
  /** Partitions of topics created at start. */
  readonly partitions: number;
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/**
 * Reads KAFKA_BROKERS (may be empty: the caller decides whether Kafka is required), KAFKA_CLIENT_ID,
 * KAFKA_TLS, KAFKA_TLS_REJECT_UNAUTHORIZED, KAFKA_TLS_{CA,CERT,KEY}_FILE, KAFKA_SASL_{MECHANISM,USERNAME,PASSWORD}
 * and KFAAS_TOPIC_PARTITIONS; throws `<component> config KEY="value": problem`.
 */
export function parseKafkaSettings(env: Env, component: string, defaultClientId: string): KafkaSettings {
  const check: Validators = validators(component);
  const fail: Validators['fail'] = check.fail;
  const brokersText = pickEnv(env, 'KAFKA_BROKERS') ?? '';
  const brokers = brokersText === '' ? [] : check.brokers('KAFKA_BROKERS', brokersText);
  const tlsOn = check.bool('KAFKA_TLS', pickEnv(env, 'KAFKA_TLS') ?? 'false');
  const caFile = pickEnv(env, 'KAFKA_TLS_CA_FILE');
  const certFile = pickEnv(env, 'KAFKA_TLS_CERT_FILE');
  const keyFile = pickEnv(env, 'KAFKA_TLS_KEY_FILE');
  if (!tlsOn && (caFile || certFile || keyFile)) fail('KAFKA_TLS', pickEnv(env, 'KAFKA_TLS') ?? '', 'must be true when a KAFKA_TLS_*_FILE is set');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    fail(certFile ? 'KAFKA_TLS_KEY_FILE' : 'KAFKA_TLS_CERT_FILE', '', 'client certificate and key must be set together');
  }
  const mechanism = pickEnv(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  let sasl: KafkaSaslSettings | undefined;
  if (mechanism !== undefined) {
    if (!(MECHANISMS as readonly string[]).includes(mechanism)) fail('KAFKA_SASL_MECHANISM', mechanism, `must be one of ${MECHANISMS.join(', ')}`);
    const username = pickEnv(env, 'KAFKA_SASL_USERNAME');
    const password = env['KAFKA_SASL_PASSWORD'];
    if (!username) fail('KAFKA_SASL_USERNAME', '', `is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    if (!password) fail('KAFKA_SASL_PASSWORD', '', `is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    sasl = { mechanism: mechanism as KafkaSaslSettings['mechanism'], username, password };
  }
  return {
    brokers,
    clientId: pickEnv(env, 'KAFKA_CLIENT_ID') ?? defaultClientId,
    ...(tlsOn
      ? {
          tls: {
            rejectUnauthorized: check.bool('KAFKA_TLS_REJECT_UNAUTHORIZED', pickEnv(env, 'KAFKA_TLS_REJECT_UNAUTHORIZED') ?? 'true'),
            ...(caFile ? { caFile } : {}),
            ...(certFile ? { certFile } : {}),
            ...(keyFile ? { keyFile } : {}),
          },
        }
      : {}),
    ...(sasl ? { sasl } : {}),
    partitions: check.integer('KFAAS_TOPIC_PARTITIONS', pickEnv(env, 'KFAAS_TOPIC_PARTITIONS') ?? '6', 1, 10_000),
  };
}

/** The kafkajs `ssl` and `sasl` options of the settings, reading TLS files now; names the file that fails. */
export function kafkaAuthOptions(settings: KafkaSettings): { ssl?: { rejectUnauthorized: boolean; ca?: string; cert?: string; key?: string } | boolean; sasl?: SASLOptions } {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read Kafka TLS file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const tls = settings.tls;
  return {
    ...(tls
      ? {
          ssl: {
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.caFile ? { ca: read(tls.caFile) } : {}),
            ...(tls.certFile ? { cert: read(tls.certFile) } : {}),
            ...(tls.keyFile ? { key: read(tls.keyFile) } : {}),
          },
        }
      : {}),
    ...(settings.sasl ? { sasl: { ...settings.sasl } as SASLOptions } : {}),
  };
}

/** Splits a comma list (re-exported so config files need one import for Kafka). */
export { splitList };
