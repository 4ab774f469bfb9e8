import fs from 'node:fs';
import path from 'node:path';
import { runCommand } from './process.js';

/** Paths of the per-run PKI made by {@link makePki}. */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

/**
 * Creates a throwaway CA, an apiserver serving cert for 127.0.0.1/localhost, an admin client cert in
 * system:masters and a service-account key pair, with openssl (EC P-256, valid 7 days).
 */
export async function makePki(runDir: string): Promise<Pki> {
  const dir = path.join(runDir, 'pki');
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(runDir, 'openssl.log');
  const f = (name: string): string => path.join(dir, name);
  const ssl = (...args: string[]): Promise<void> => runCommand('openssl', args, { cwd: dir, logPath: log });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  fs.writeFileSync(f('srv.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(f('cli.ext'), 'extendedKeyUsage=clientAuth\n');
  // The service-account key pair is independent of the CA chain, so it is made alongside it.
  const saKeys = ssl('genrsa', '-out', f('sa.key'), '2048').then(() =>
    ssl('rsa', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub')),
  );
  await ssl('req', '-x509', ...ec, '-days', '7', '-subj', '/CN=kfaas-test-ca', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  const signed = async (name: string, subj: string, ext: string): Promise<void> => {
    await ssl('req', '-new', ...ec, '-subj', subj, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    // -set_serial with a random value instead of -CAcreateserial: two signings in parallel would race on ca.srl.
    const serial = `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`;
    await ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', serial,
      '-days', '7', '-extfile', f(ext), '-out', f(`${name}.crt`));
  };
  await Promise.all([
    signed('apiserver', '/CN=localhost', 'srv.ext'),
    signed('admin', '/O=system:masters/CN=admin', 'cli.ext'),
    saKeys,
  ]);
  return {
    dir,
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
  };
}

/** Writes an admin kubeconfig with the certificates inlined, and returns its path. */
export function writeKubeconfig(runDir: string, pki: Pki, server: string): string {
  const b64 = (file: string): string => fs.readFileSync(file).toString('base64');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kfaas-test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    'users:',
    '- name: admin',
    '  user:',
    `    client-certificate-data: ${b64(pki.adminCert)}`,
    `    client-key-data: ${b64(pki.adminKey)}`,
    'contexts:',
    '- name: kfaas-test',
    '  context:',
    '    cluster: kfaas-test',
    '    user: admin',
    'current-context: kfaas-test',
    '',
  ].join('\n');
  const file = path.join(runDir, 'admin.kubeconfig');
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}
