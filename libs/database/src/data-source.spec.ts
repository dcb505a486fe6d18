import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

function sources(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the DataSource lives in libs/database, and importing the library has no side effects', () => {
  it('does not load migrations/data-source.ts, which builds a DataSource when imported (for the TypeORM CLI)', () => {
    let loaded = false;
    jest.isolateModules(() => {
      // A probe, not a stand-in: it only records whether the library's import reaches the file.
      jest.doMock('../../../migrations/data-source', () => {
        loaded = true;
        return {};
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the import itself is under test
      const database = require('@countersign/database') as typeof import('@countersign/database');
      expect(typeof database.createDataSource).toBe('function');
      expect(database.MIGRATIONS.length).toBeGreaterThan(0);
    });
    expect(loaded).toBe(false);
  });

  it('nothing in the tree imports the TypeORM CLI file', () => {
    const importers = ['apps', 'libs', 'test', 'bench', 'migrations']
      .flatMap(sources)
      .filter((file) => /from '[^']*migrations\/data-source'/.test(readFileSync(file, 'utf8')));
    expect(importers.map((file) => file.slice(ROOT.length + 1))).toEqual([]);
  });
});
