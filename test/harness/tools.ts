import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Where the service binaries and jars are, and which versions they are. */
export interface Tools {
  kafkaLib: string;
  kafkaVersion: string;
  etcdBin: string;
  etcdVersion: string;
  k8sBin: string;
  kubeVersion: string;
}

/** What the test node needs on top of {@link Tools}. */
export interface NodeTools {
  /** scripts/images.sh output: the image tarballs and their `refs`. */
  imagesDir: string;
  helmBin: string;
}

/**
 * Runs one of the idempotent scripts/*.sh build scripts and returns the directory it prints. A warm cache
 * answers in milliseconds; a cold one builds (its progress goes to our stderr).
 */
export async function scriptDir(repoRoot: string, script: string, override: string | undefined): Promise<string> {
  if (override) return override;
  const file = path.join(repoRoot, 'scripts', script);
  try {
    const { stdout } = await execFileAsync('bash', [file], { cwd: repoRoot, maxBuffer: 1 << 20 });
    const dir = stdout.trim().split('\n').pop() ?? '';
    if (!dir || !fs.existsSync(dir)) throw new Error(`printed no existing directory (got "${dir}")`);
    return dir;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`scripts/${script} failed: ${e.stderr?.trim() || e.message}`);
  }
}

async function versionOf(bin: string, args: string[], pattern: RegExp): Promise<string> {
  const { stdout } = await execFileAsync(bin, args);
  const match = pattern.exec(stdout);
  if (!match?.[1]) throw new Error(`could not read the version from \`${bin} ${args.join(' ')}\`: ${stdout.trim()}`);
  return match[1];
}

/**
 * Locates (building if needed) Kafka's jars, etcd and the Kubernetes binaries. KFAAS_KAFKA_LIB, KFAAS_ETCD_BIN and
 * KFAAS_K8S_BIN point at prebuilt directories instead.
 */
export async function resolveTools(repoRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<Tools> {
  const [kafkaLib, etcdBin, k8sBin] = await Promise.all([
    scriptDir(repoRoot, 'kafka-jars.sh', env.KFAAS_KAFKA_LIB),
    scriptDir(repoRoot, 'etcd-bin.sh', env.KFAAS_ETCD_BIN),
    scriptDir(repoRoot, 'k8s-bins.sh', env.KFAAS_K8S_BIN),
  ]);
  const kafkaJar = fs.readdirSync(kafkaLib).find((f) => /^kafka_2\.13-.*\.jar$/.test(f));
  if (!kafkaJar) throw new Error(`no kafka_2.13-*.jar in ${kafkaLib}`);
  const kafkaVersion = kafkaJar.replace(/^kafka_2\.13-(.*)\.jar$/, '$1');
  const [etcdVersion, kubeVersion] = await Promise.all([
    versionOf(path.join(etcdBin, 'etcd'), ['--version'], /etcd Version:\s*(\S+)/),
    versionOf(path.join(k8sBin, 'kube-apiserver'), ['--version'], /Kubernetes\s+(v\S+)/),
  ]);
  return { kafkaLib, kafkaVersion, etcdBin, etcdVersion, k8sBin, kubeVersion };
}

/**
 * Installs the node's host packages when missing (scripts/node-deps.sh), builds the images (scripts/images.sh, after
 * `make build`) and helm. KFAAS_IMAGES_DIR and KFAAS_HELM_BIN point at prebuilt directories instead.
 */
export async function resolveNodeTools(repoRoot: string, tools: Tools, env: NodeJS.ProcessEnv = process.env): Promise<NodeTools> {
  for (const bin of ['kubelet', 'kubectl', 'kube-scheduler']) {
    if (!fs.existsSync(path.join(tools.k8sBin, bin))) throw new Error(`${bin} is missing from ${tools.k8sBin}; run scripts/k8s-bins.sh`);
  }
  const deps = path.join(repoRoot, 'scripts', 'node-deps.sh');
  try {
    await execFileAsync('bash', [deps], { cwd: repoRoot, maxBuffer: 1 << 20 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`scripts/node-deps.sh failed: ${e.stderr?.trim() || e.message}`);
  }
  const [imagesDir, helmDir] = await Promise.all([
    scriptDir(repoRoot, 'images.sh', env.KFAAS_IMAGES_DIR),
    scriptDir(repoRoot, 'helm-bin.sh', env.KFAAS_HELM_BIN),
  ]);
  return { imagesDir, helmBin: path.join(helmDir, 'helm') };
}
