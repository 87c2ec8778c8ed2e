import { assignTicket, commentTicket, createTicket, updateTicket } from './tickets';
import { createTicketPolicy, deleteTicketPolicy, updateTicketPolicy } from './policies';
import { Query } from './Query';
import { Alert, Ticket, TicketPolicy } from './types';

/** The ticket part of the alert subgraph's resolver map; merged type by type with the alert part. */
export const ticketResolvers = {
  Query,
  Mutation: {
    createTicketPolicy,
    updateTicketPolicy,
    deleteTicketPolicy,
    createTicket,
    updateTicket,
    assignTicket,
    commentTicket,
  },
  Ticket,
  TicketPolicy,
  Alert,
};
