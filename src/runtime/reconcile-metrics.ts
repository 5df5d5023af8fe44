import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DirectoryConnection } from '../domain/model.js';
import type { RunDetails, RunSummary } from '../services/reconcile/service.js';

/** `action_required`: the last run failed terminally (credentials, permission, config) and scheduled runs wait for an admin. */
const STATUSES = ['completed', 'held', 'incomplete', 'failed', 'action_required'] as const;

/**
 * Prometheus metrics of reconcile runs. The per-connection status gauge is what the alerts use:
 * held runs awaiting approval, connections failing or listing incompletely.
 */
export function createReconcileMetrics(registry: Registry) {
  const runs = new Counter({ name: 'idsync_reconcile_runs_total', help: 'Reconcile runs by provider and final status.', labelNames: ['provider', 'status'] as const, registers: [registry] });
  const duration = new Histogram({
    name: 'idsync_reconcile_run_duration_seconds',
    help: 'Wall time of reconcile runs by provider.',
    labelNames: ['provider'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const deactivations = new Counter({ name: 'idsync_reconcile_deactivations_total', help: 'Members deactivated by the reconciler.', labelNames: ['provider'] as const, registers: [registry] });
  const held = new Counter({ name: 'idsync_reconcile_held_deactivations_total', help: 'Deactivations held for approval by a guard.', labelNames: ['provider'] as const, registers: [registry] });
  const drift = new Counter({ name: 'idsync_reconcile_drift_total', help: 'SCIM-managed members the directory says are suspended or gone.', labelNames: ['provider'] as const, registers: [registry] });
  const apiCalls = new Counter({
    name: 'idsync_directory_api_calls_total',
    help: 'Directory API calls made by reconcile runs, by outcome (2xx, 3xx, 4xx, 5xx, 429, network).',
    labelNames: ['provider', 'status'] as const,
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'idsync_reconcile_offboarding_lag_seconds',
    help: 'Time from the upstream change to the local deactivation: exact where the directory dates it (source="directory"), else an upper bound from the previous complete read (source="previous_read"); deactivations a change notification caused are source="notification".',
    labelNames: ['provider', 'source'] as const,
    buckets: [1, 2, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 86400],
    registers: [registry],
  });
  const status = new Gauge({
    name: 'idsync_reconcile_connection_status',
    help: "1 for the status of each connection's last run (completed, held, incomplete, failed, action_required).",
    labelNames: ['connection', 'org', 'provider', 'status'] as const,
    registers: [registry],
  });
  const terminal = new Counter({
    name: 'idsync_reconcile_terminal_failures_total',
    help: 'Runs that failed terminally (credentials refused, permission missing, invalid config): scheduled runs of the connection stop until it is updated or tested.',
    labelNames: ['provider', 'code'] as const,
    registers: [registry],
  });
  const observe = (summary: RunSummary, conn: DirectoryConnection, details?: RunDetails): void => {
    if (summary.dryRun) return;
    const provider = conn.provider;
    const final = summary.status === 'approved' || summary.status === 'rejected' || summary.status === 'running' ? 'completed' : summary.status;
    runs.inc({ provider, status: final });
    const stopped = summary.failure?.class === 'terminal';
    if (stopped) terminal.inc({ provider, code: summary.failure!.code });
    duration.observe({ provider }, summary.durationMs / 1000);
    deactivations.inc({ provider }, summary.deactivated);
    held.inc({ provider }, summary.held);
    drift.inc({ provider }, summary.drift);
    const byStatus = summary.apiCallsByStatus ?? { unknown: summary.apiCalls };
    for (const [outcome, n] of Object.entries(byStatus)) if (n > 0) apiCalls.inc({ provider, status: outcome }, n);
    for (const l of details?.offboardingLags ?? []) lag.observe({ provider, source: l.source }, l.seconds);
    const shown = stopped ? 'action_required' : final;
    for (const s of STATUSES) status.set({ connection: conn.id, org: conn.orgId, provider, status: s }, s === shown ? 1 : 0);
  };
  /** A deactivation a change notification caused (source="notification"): from the directory's change time, else the message's arrival. */
  const notificationLag = (provider: string, seconds: number): void => lag.observe({ provider, source: 'notification' }, seconds);
  return Object.assign(observe, { notificationLag });
}
