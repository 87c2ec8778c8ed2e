// `npm run schema:compose`: composes the subgraphs and writes schema/supergraph.graphql.
import { writeFileSync } from 'node:fs';
import { countApiTypes, toApiSchema } from './api-schema';
import { composeSupergraph, isComposeFailure, renderSupergraphFile } from './compose';
import { readTextIfExists } from './files';
import { fromRoot, REPO_ROOT, SUPERGRAPH_FILE } from './paths';
import { listSubgraphs } from './subgraphs';

function main(): number {
  const subgraphs = listSubgraphs(REPO_ROOT);
  const result = composeSupergraph(REPO_ROOT);
  if (isComposeFailure(result)) {
    console.error(`Composition failed with ${result.errors.length} error(s):`);
    result.errors.forEach((error) => console.error(`  - ${error}`));
    console.error(`${SUPERGRAPH_FILE} was not changed.`);
    return 1;
  }

  const path = fromRoot(REPO_ROOT, SUPERGRAPH_FILE);
  const text = renderSupergraphFile(result.supergraphSdl);
  const unchanged = readTextIfExists(path) === text;
  if (!unchanged) writeFileSync(path, text);

  const api = toApiSchema(result.supergraphSdl);
  const count = (type: 'Query' | 'Mutation') =>
    Object.keys((type === 'Query' ? api.getQueryType() : api.getMutationType())?.getFields() ?? {}).length;
  console.log(`Composed ${subgraphs.length} subgraph(s):`);
  subgraphs.forEach(({ name, url }) => console.log(`  - ${name.padEnd(10)} ${url}`));
  console.log(`Public API: ${countApiTypes(api)} types, ${count('Query')} queries, ${count('Mutation')} mutations.`);
  result.hints.forEach((hint) => console.log(`hint: ${hint}`));
  console.log(unchanged ? `${SUPERGRAPH_FILE} is already up to date.` : `Wrote ${SUPERGRAPH_FILE}; commit it with your subgraph changes.`);
  return 0;
}

process.exitCode = main();
