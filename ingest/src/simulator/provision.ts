import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { mapConcurrent, withRetry } from './concurrency';
import { GraphQLRequestError, isTransient, type GraphQLClient } from './graphql';

/** A provisioned device with the access token it authenticates with. */
export interface SimDevice {
  /** 1-based position in the fleet; also seeds its telemetry. */
  index: number;
  id: string;
  name: string;
  token: string;
}

/** A tenant, a signed-in operator of it, and its simulated devices. */
export interface Fleet {
  tenantId: string;
  /** JWT of the simulator's operator: reads the devices' telemetry back (the bench does). */
  operatorToken: string;
  devices: SimDevice[];
}

/** The label every simulated device carries; reuse finds devices by it. */
export const SIM_LABEL = 'simulator';

/** `sim-00001`: zero-padded so the names sort in fleet order. */
export const deviceName = (index: number) => `sim-${String(index).padStart(5, '0')}`;

const page = z.object({
  edges: z.array(z.object({ node: z.object({ id: z.string(), name: z.string() }) })),
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
});
type Request = GraphQLClient['request'];
const withToken = z.object({ device: z.object({ id: z.string(), name: z.string() }), accessToken: z.string() });

/** Options of `provisionFleet`. */
export interface ProvisionOptions {
  devices: number;
  tenant: string;
  email: string;
  password: string;
  /** GraphQL calls in flight while creating or rotating devices (default 20). */
  concurrency?: number;
  /** Called after each device with how many are done, out of `total`. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Makes the fleet exist: signs in as the platform admin, creates the tenant (or reuses the
 * one with that name), creates the operator (or reuses it), then creates `sim-00001…` labelled
 * `simulator`, reusing devices from earlier runs. Tokens are shown only once, so a reused
 * device gets its token rotated; a same-named device without the label is left alone and
 * rejects the run. Transient failures of device calls are retried with back-off; anything
 * else rejects (a failed admin sign-in with an error naming the admin and the API).
 */
export async function provisionFleet(api: GraphQLClient, opts: ProvisionOptions): Promise<Fleet> {
  const adminToken = await login(api, opts.email, opts.password).catch((error: Error) => {
    throw new Error(`Signing in as the platform admin ${opts.email} at ${api.url} failed: ${error.message}`, { cause: error });
  });
  const admin = api.as(adminToken);
  const tenantId = await ensureTenant(admin, opts.tenant);
  const operatorToken = await ensureOperator(api, admin, tenantId, opts);
  const operator = api.as(operatorToken);
  // Thousands of calls meet the odd reset connection or rate limit; those are worth a retry.
  const asOperator: Request = (query, variables, schema) =>
    withRetry(() => operator.request(query, variables, schema), { retryable: isTransient, signal: opts.signal });

  const existing = await existingDevices(asOperator);
  const indexes = Array.from({ length: opts.devices }, (_, i) => i + 1);
  let done = 0;
  const devices = await mapConcurrent(
    indexes,
    opts.concurrency ?? 20,
    async (index) => {
      const name = deviceName(index);
      const known = existing.get(name);
      const created = known ? await rotate(asOperator, known) : await create(asOperator, name);
      opts.onProgress?.(++done, opts.devices);
      return { index, id: created.device.id, name, token: created.accessToken };
    },
    opts.signal,
  );
  return { tenantId, operatorToken, devices };
}

async function login(api: GraphQLClient, email: string, password: string): Promise<string> {
  const data = await api.request(
    'mutation SimLogin($email: String!, $password: String!) { login(email: $email, password: $password) { token } }',
    { email, password },
    z.object({ login: z.object({ token: z.string() }) }),
  );
  return data.login.token;
}

async function ensureTenant(admin: GraphQLClient, name: string): Promise<string> {
  const found = await findTenant(admin, name);
  if (found) return found;
  try {
    const data = await admin.request(
      'mutation SimTenant($name: String!) { createTenant(input: { name: $name }) { id } }',
      { name },
      z.object({ createTenant: z.object({ id: z.string() }) }),
    );
    return data.createTenant.id;
  } catch (error) {
    // Another simulator created it between our lookup and our create.
    const raced = error instanceof GraphQLRequestError && error.codes.includes('CONFLICT') ? await findTenant(admin, name) : undefined;
    if (raced) return raced;
    throw error;
  }
}

async function findTenant(admin: GraphQLClient, name: string): Promise<string | undefined> {
  const tenants = z.object({ tenants: page });
  for (let after: string | null | undefined; ; ) {
    const data = await admin.request(
      'query SimTenants($after: String) { tenants(first: 100, after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }',
      { after },
      tenants,
    );
    const hit = data.tenants.edges.find((e) => e.node.name === name);
    if (hit) return hit.node.id;
    if (!data.tenants.pageInfo.hasNextPage) return undefined;
    after = data.tenants.pageInfo.endCursor;
  }
}

/**
 * The operator's email names the tenant; its password is derived from the admin password and
 * the tenant id, so a later run can sign in again without storing a secret anywhere.
 */
export function operatorCredentials(tenant: string, tenantId: string, adminPassword: string) {
  const slug = tenant.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  const hash = createHash('sha256').update(tenant).digest('hex').slice(0, 8);
  const email = `simulator-${slug ? `${slug}-` : ''}${hash}@ump.local`;
  const password = createHmac('sha256', adminPassword).update(`ump-simulator:${tenantId}`).digest('base64url').slice(0, 32);
  return { email, password };
}

async function ensureOperator(api: GraphQLClient, admin: GraphQLClient, tenantId: string, opts: ProvisionOptions): Promise<string> {
  const { email, password } = operatorCredentials(opts.tenant, tenantId, opts.password);
  try {
    await admin.request(
      'mutation SimOperator($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { tenantId, email, password, role: 'OPERATOR' } },
      z.object({ createUser: z.object({ id: z.string() }) }),
    );
  } catch (error) {
    if (!(error instanceof GraphQLRequestError && error.codes.includes('CONFLICT'))) throw error;
  }
  try {
    return await login(api, email, password);
  } catch (error) {
    throw new Error(`Cannot sign in as the simulator's operator ${email} (${(error as Error).message}); delete that user or use another --tenant`);
  }
}

async function existingDevices(call: Request): Promise<Map<string, string>> {
  const byName = new Map<string, string>();
  const devices = z.object({ devices: page });
  for (let after: string | null | undefined; ; ) {
    const data = await call(
      'query SimDevices($after: String, $filter: DeviceFilter) { devices(first: 100, after: $after, filter: $filter) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }',
      { after, filter: { labels: [SIM_LABEL], search: 'sim-' } },
      devices,
    );
    for (const { node } of data.devices.edges) byName.set(node.name, node.id);
    if (!data.devices.pageInfo.hasNextPage) return byName;
    after = data.devices.pageInfo.endCursor;
  }
}

async function rotate(call: Request, id: string) {
  const data = await call(
    'mutation SimRotate($id: ID!) { rotateDeviceToken(id: $id) { device { id name } accessToken } }',
    { id },
    z.object({ rotateDeviceToken: withToken }),
  );
  return data.rotateDeviceToken;
}

async function create(call: Request, name: string) {
  try {
    const data = await call(
      'mutation SimDevice($input: CreateDeviceInput!) { createDevice(input: $input) { device { id name } accessToken } }',
      { input: { name, labels: [SIM_LABEL] } },
      z.object({ createDevice: withToken }),
    );
    return data.createDevice;
  } catch (error) {
    // Rotating the token of a device the simulator did not create would cut a real device off.
    if (error instanceof GraphQLRequestError && error.codes.includes('CONFLICT')) {
      throw new Error(`A device named ${name} exists without the label "${SIM_LABEL}": rename it or use another --tenant`);
    }
    throw error;
  }
}
