import { Counter, Gauge, type Registry } from 'prom-client';

/** Subscription metrics, registered once per registry (a second server on it reuses them). */
export function subscriptionMetrics(registry: Registry) {
  const counter = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Counter<'topic'> | undefined) ??
    new Counter({ name, help, labelNames: ['topic'] as const, registers: [registry] });
  const active =
    (registry.getSingleMetric('ump_subscriptions_active') as Gauge<'topic'> | undefined) ??
    new Gauge({ name: 'ump_subscriptions_active', help: 'Live GraphQL subscriptions, by topic', labelNames: ['topic'] as const, registers: [registry] });
  return {
    active,
    events: counter('ump_subscription_events_total', 'Valid events consumed by the gateway, by topic'),
    invalid: counter('ump_subscription_invalid_events_total', 'Events refused by the topic contract and skipped, by topic'),
    fetches: counter('ump_subscription_fetches_total', 'Entity queries run for subscribers (one per distinct selection per event)'),
    deliveries: counter('ump_subscription_deliveries_total', 'Events queued for a subscriber'),
    slow: counter('ump_subscription_slow_closes_total', 'Connections closed because a subscriber fell too far behind'),
  };
}
export type SubscriptionMetrics = ReturnType<typeof subscriptionMetrics>;
