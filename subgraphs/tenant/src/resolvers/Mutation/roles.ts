import { roles } from '@ump/core';
import { z } from 'zod';

export const roleInput = z.enum(roles, { message: `must be one of ${roles.join(', ')}` });
