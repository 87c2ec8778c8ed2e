import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../metrics';

/** Counts and times every GraphQL operation by name and outcome. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const stop = metrics.graphqlDuration.startTimer();
      return {
        async willSendResponse({ operationName, errors }) {
          const operation = operationName ?? 'anonymous';
          stop({ operation });
          metrics.graphqlRequests.inc({ operation, outcome: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
}
