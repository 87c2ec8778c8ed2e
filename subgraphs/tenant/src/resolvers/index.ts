import { ApiKey, Identity, Tenant, User } from './types';
import { createApiKey, revokeApiKey } from './Mutation/api-keys';
import { login } from './Mutation/login';
import { createTenant, updateTenant } from './Mutation/tenants';
import { changePassword, createUser, deleteUser, updateUserRole } from './Mutation/users';
import { Query } from './Query';

export const resolvers = {
  Query,
  Mutation: {
    login,
    createTenant,
    updateTenant,
    createUser,
    updateUserRole,
    deleteUser,
    changePassword,
    createApiKey,
    revokeApiKey,
  },
  Tenant,
  User,
  ApiKey,
  Identity,
};
