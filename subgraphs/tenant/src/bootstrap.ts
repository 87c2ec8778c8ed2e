import { hashPassword, randomSecret, type Logger } from '@ump/core';
import type { PrismaClient } from '@ump/db';

/**
 * First start: creates the platform admin when no user has that role yet. Without a
 * configured password one is generated and printed once; it is never stored in clear.
 * Returns the generated password (or null) so the caller can show it in its banner.
 */
export async function ensurePlatformAdmin(
  prisma: PrismaClient,
  opts: { email: string; password?: string; logger: Logger },
): Promise<{ created: boolean; generatedPassword: string | null }> {
  const existing = await prisma.user.findFirst({ where: { role: 'PLATFORM_ADMIN' } });
  if (existing) return { created: false, generatedPassword: null };
  const generatedPassword = opts.password ? null : randomSecret().slice(0, 20);
  const password = opts.password ?? generatedPassword!;
  await prisma.user.create({
    data: { email: opts.email.toLowerCase(), role: 'PLATFORM_ADMIN', tenantId: null, passwordHash: await hashPassword(password) },
  });
  opts.logger.info({ email: opts.email }, 'created the platform admin');
  return { created: true, generatedPassword };
}
