import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createMetrics } from '../../src/http/metrics.js';
import { createReconcileMetrics } from '../../src/runtime/reconcile-metrics.js';

const read = (p: string) => readFileSync(new URL(`../../helm/idsync/${p}`, import.meta.url), 'utf8');

describe('chart dashboard and alerts', () => {
  it('when the dashboard and the PrometheusRule are read, then every idsync metric they query is one the daemon exports', async () => {
    const metrics = createMetrics();
    createReconcileMetrics(metrics.registry);
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const dashboard = JSON.parse(read('dashboards/idsync.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
    const queried = [read('dashboards/idsync.json'), read('templates/prometheusrule.yaml')]
      .flatMap((t) => t.match(/idsync_[a-z_]+/g) ?? [])
      .map((n) => n.replace(/_(bucket|count|sum)$/, ''));
    expect(queried.length).toBeGreaterThan(10);
    expect([...new Set(queried)].filter((n) => !exported.has(n))).toEqual([]);
  });
});
