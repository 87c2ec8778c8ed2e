// Tickets (work orders) of the alert subgraph: the automation the alert side calls, and the
// GraphQL resolvers merged into the subgraph's map.
export type { AlertSnapshot, TicketAutomation } from './hooks';
export { createTicketAutomation, type TicketAutomationDeps } from './automation';
export { ticketResolvers } from './resolvers';
export { publishTicketEvent } from './events';
export { mergeResolverMaps } from './resolvers/merge';
