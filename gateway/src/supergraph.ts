import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The committed, reviewed supergraph (written by `npm run schema:compose`). */
export function readSupergraph(): string {
  return readFileSync(path.join(path.dirname(require.resolve('@ump/schema/package.json')), 'supergraph.graphql'), 'utf8');
}
