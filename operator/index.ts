/**
 * The operator's one public entry: `createOperator(deps)`. It serves health and metrics, campaigns for the
 * leader Lease (unless disabled) and, for each leadership term, runs a controller: informers -> work queue ->
 * reconcileFunction. Losing the lease stops the controller at once; winning it again starts a fresh one.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../common/logger.js';
import type { OperatorConfig } from './config.js';
import { Controller } from './controller/controller.js';
import { LeaderElector } from './controller/leader-election.js';
import { createEventRecorder, type KubeEventRecorder } from './kube/event-recorder.js';
import { createKubeInformers } from './kube/kube-informers.js';
import { createLeaseClient } from './kube/lease-client.js';
import { createDeploymentWriter, createServiceWriter } from './kube/object-writers.js';
import { KubeRestClient } from './kube/rest-client.js';
import { createSecretReader } from './kube/secret-reader.js';
import { createStatusWriter } from './kube/status-writer.js';
import { startHealthServer, type HealthServer } from './observability/health-server.js';
import { createOperatorMetrics, type OperatorMetrics } from './observability/metrics.js';
import { reconcileFunction, type ReconcileDeps } from './reconciler/reconcile-function.js';
import type { BuildOptions } from './resources/build-deployment.js';
import { splitKey } from './resources/names.js';
import { createAutoscaler, type Autoscaler, type AutoscalerPorts } from './autoscaler/autoscaler.js';
import { createAutoscalePorts } from './kube/autoscale-ports.js';

/** What an operator is made of. */
export interface OperatorDeps {
  readonly config: OperatorConfig;
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** Holder identity in the Lease and reportingInstance of Events; unique per replica. */
  readonly identity: string;
  readonly metrics?: OperatorMetrics;
  /** Serve /healthz, /readyz and /metrics on config.healthBind:healthPort; default true. */
  readonly serveHealth?: boolean;
  readonly buildOptions?: BuildOptions;
  readonly now?: () => Date;
  /** Replaces reading the gateways' signals (tests without gateway pods); needs config.autoscaler. */
  readonly scaleSignals?: AutoscalerPorts['signals'];
}

/** A running (or runnable) operator. */
export interface Operator {
  readonly metrics: OperatorMetrics;
  /** Port of the health server once started, when served. */
  readonly healthPort: number | undefined;
  /** True while this instance holds the lease (always true without leader election, once started). */
  readonly isLeader: boolean;
  /** True while a controller runs with synced caches: Functions are being reconciled. */
  readonly reconciling: boolean;
  /** Kubernetes API requests made so far by `verb resource` (watches excluded). */
  apiRequestCounts(): Record<string, number>;
  /** Starts serving health and campaigning (or reconciling); resolves once started, not once leading. */
  start(): Promise<void>;
  /** Stops reconciling, releases the lease, stops serving; idempotent. */
  close(): Promise<void>;
}

/** Creates an operator; nothing runs until start(). */
export function createOperator(deps: OperatorDeps): Operator {
  const { config } = deps;
  const logger = deps.logger.child({ component: 'operator' });
  const metrics = deps.metrics ?? createOperatorMetrics();
  let client: KubeRestClient | undefined;
  let events: KubeEventRecorder | undefined;
  let health: HealthServer | undefined;
  let elector: LeaderElector | undefined;
  let controller: Controller | undefined;
  let autoscaler: Autoscaler | undefined;
  let leading = false;
  let closing: Promise<void> | undefined;
  let starting: Promise<void> | undefined;

  const startTerm = (): void => {
    if (closing || !client || !events) return;
    leading = true;
    metrics.setLeader(true);
    const informers = createKubeInformers({ kubeConfig: deps.kubeConfig, client, namespaces: config.watchNamespaces });
    const reconcileDeps: ReconcileDeps = {
      store: informers.store,
      secrets: createSecretReader(client),
      deployments: createDeploymentWriter(client),
      services: createServiceWriter(client),
      status: createStatusWriter(client),
      events,
      now: deps.now ?? (() => new Date()),
      secretRecheckMs: config.secretRecheckMs,
      buildOptions: deps.buildOptions,
    };
    const term = new Controller({
      informers: informers.specs,
      listKeys: informers.functionKeys,
      reconcile: (key, signal) => reconcileFunction(key, reconcileDeps, signal),
      workers: config.workers,
      resyncPeriodMs: config.resyncPeriodMs,
      reconcileTimeoutMs: config.reconcileTimeoutMs,
      requeueBackoff: config.requeueBackoff,
      informerBackoff: config.informerBackoff,
      logger: logger.child({ component: 'controller' }),
      observer: metrics,
    });
    controller = term;
    metrics.setQueueDepthSource(() => term.queue.length);
    // Not awaited: the elector must keep renewing while the caches fill.
    term.start().catch((err: unknown) => logger.error('controller failed to start', { err }));
    if (config.autoscaler) {
      const ports = createAutoscalePorts({
        client,
        config: config.autoscaler,
        store: informers.store,
        // Nothing is decided on caches still filling: a missing Deployment would look like a Function to create.
        functions: () =>
          term.running
            ? informers.functionKeys().flatMap((key) => {
                const { namespace, name } = splitKey(key);
                return informers.store.getFunction(namespace, name) ?? [];
              })
            : [],
        events,
        namespaces: config.watchNamespaces,
        logger,
      });
      autoscaler = createAutoscaler({
        ports: deps.scaleSignals ? { ...ports, signals: deps.scaleSignals } : ports,
        intervalMs: config.autoscaler.intervalMs,
        stabilisationMs: config.autoscaler.stabilisationMs,
        hpaRecheckMs: config.autoscaler.hpaRecheckMs,
        logger: logger.child({ component: 'autoscaler' }),
      });
      autoscaler.start();
    }
  };

  const stopTerm = async (): Promise<void> => {
    leading = false;
    metrics.setLeader(false);
    metrics.setQueueDepthSource(undefined);
    const term = controller;
    controller = undefined;
    const scaler = autoscaler;
    autoscaler = undefined;
    await Promise.all([term?.close(), scaler?.close()]);
  };

  const notReadyReason = (): string | undefined => {
    if (closing) return 'shutting down';
    if (!starting) return 'not started';
    // A standby is ready: it has nothing to do until it wins the lease.
    if (leading && !controller?.running) return 'informer caches not synced';
    return undefined;
  };

  return {
    metrics,
    get healthPort() {
      return health?.port;
    },
    get isLeader() {
      return leading;
    },
    get reconciling() {
      return controller?.running ?? false;
    },
    apiRequestCounts: () => client?.requestCounts() ?? {},
    start() {
      starting ??= (async () => {
        client = await KubeRestClient.create({
          kubeConfig: deps.kubeConfig,
          timeoutMs: config.kubeRequestTimeoutMs,
          maxSockets: config.kubeMaxSockets,
          onRequest: metrics.onApiRequest,
        });
        events = createEventRecorder({ client, logger, instance: deps.identity });
        if (deps.serveHealth !== false) {
          health = await startHealthServer({ registry: metrics.registry, notReadyReason, host: config.healthBind, port: config.healthPort });
          logger.info('health server listening', { host: config.healthBind, port: health.port });
        }
        const le = config.leaderElection;
        if (le.enabled) {
          elector = new LeaderElector({
            client: createLeaseClient(client, le.leaseNamespace, le.leaseName, le.renewDeadlineMs),
            identity: deps.identity,
            leaseDurationMs: le.leaseDurationMs,
            renewDeadlineMs: le.renewDeadlineMs,
            retryPeriodMs: le.retryPeriodMs,
            onStartedLeading: startTerm,
            onStoppedLeading: stopTerm,
            logger,
          });
          elector.start();
          logger.info('campaigning for leadership', { lease: `${le.leaseNamespace}/${le.leaseName}`, identity: deps.identity });
        } else {
          startTerm();
        }
      })();
      return starting;
    },
    close() {
      closing ??= (async () => {
        await starting?.catch(() => undefined);
        if (elector) await elector.close();
        else await stopTerm();
        await events?.flush();
        await health?.close();
        client?.close();
        logger.info('operator stopped');
      })();
      return closing;
    },
  };
}
