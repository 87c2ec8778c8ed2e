import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The image runs `npm ci` on the workspaces' package.json files before it copies the sources:
// a workspace left out there is not linked, and its service fails on its first @ump import.
const root = path.resolve(__dirname, '../..');

it('copies every workspace package.json into the image before npm ci', () => {
  const { workspaces } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const folders = workspaces
    .flatMap((pattern) => (pattern.endsWith('/*') ? readdirSync(path.join(root, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`) : [pattern]))
    .filter((folder) => existsSync(path.join(root, folder, 'package.json')));
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const beforeInstall = dockerfile.slice(0, dockerfile.indexOf('RUN npm ci'));
  expect(folders.length).toBeGreaterThan(5);
  expect(folders.filter((folder) => !beforeInstall.includes(`COPY ${folder}/package.json ${folder}/`))).toEqual([]);
});
