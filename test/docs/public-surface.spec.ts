import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as api from '../../libs/cache/src/index.js';

/** The public surface is what the README documents: no more `CacheService` members, no error class left out. */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = join(REPO, 'libs/cache/src');

/** The member names in the first column of the README's `CacheService` table. */
function documentedMembers(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## CacheService'), readme.indexOf('\n## ', readme.indexOf('## CacheService') + 1));
  const firstCells = [...section.matchAll(/^\| (`.+?) \|/gm)].map(([, cell]) => cell);
  return firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Za-z]+)/g)].map(([, name]) => name));
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('public surface', () => {
  it("CacheService has exactly the members the README's CacheService table documents", () => {
    const members = Object.getOwnPropertyNames(api.CacheService.prototype).filter((name) => name !== 'constructor' && !name.startsWith('_'));
    const instanceFields = ['stats', 'events'];
    expect([...members, ...instanceFields].sort()).toEqual(documentedMembers().sort());
  });

  it('exports every error class the library defines', () => {
    const declared = sourceFiles(SOURCE).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/export class (\w+) extends \w*Error\b/g)].map(([, name]) => name));
    expect(declared.length).toBeGreaterThan(0);
    const exported = api as Record<string, unknown>;
    expect(declared.filter((name) => typeof exported[name] !== 'function').sort()).toEqual([]);
  });
});
