// Alert and rule resolvers live beside this file; ticket resolvers under ../tickets, merged
// in type by type.
import { mergeResolverMaps, ticketResolvers } from '../tickets';
import { Query } from './Query';
import { acknowledgeAlert, assignAlert, clearAlert, commentAlert } from './Mutation/alerts';
import { createAlertRule, deleteAlertRule, updateAlertRule } from './Mutation/rules';
import { createSuppression, deleteSuppression } from './Mutation/suppressions';
import { Alert, AlertGroup, AlertHistoryEntry, AlertRule, Suppression } from './types';

const alertResolvers = {
  Query,
  Mutation: {
    createAlertRule,
    updateAlertRule,
    deleteAlertRule,
    acknowledgeAlert,
    clearAlert,
    assignAlert,
    commentAlert,
    createSuppression,
    deleteSuppression,
  },
  Alert,
  AlertRule,
  AlertHistoryEntry,
  AlertGroup,
  Suppression,
};

export const resolvers = mergeResolverMaps(alertResolvers, ticketResolvers);
