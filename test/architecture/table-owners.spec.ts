import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');

function files(directory: string, pattern: RegExp): string[] {
  return readdirSync(join(ROOT, directory), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The rows of the markdown table under `heading` in docs/table-owners.md, as arrays of cells. */
function tableUnder(markdown: string, heading: string | null): string[][] {
  const start = heading === null ? 0 : markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/table-owners.md has no section "${heading}"`);
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** Which library or app writes which table: raw SQL, and TypeORM writes of an entity. */
function writes(): Array<{ writer: string; table: string; file: string }> {
  const entityTables = new Map<string, string>();
  for (const file of files('libs/database/src/entities', /\.entity\.ts$/)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/@Entity\('([a-z_]+)'\)\s*export class (\w+)/g))
      entityTables.set(match[2], match[1]);
  }
  const sources = [...files('libs', /\.tsx?$/), ...files('apps', /\.tsx?$/)].filter(
    (file) => /^(libs|apps)\/[^/]+\/src\//.test(relative(ROOT, file)) && !/\.spec\.ts$/.test(file),
  );
  return sources.flatMap((file) => {
    const path = relative(ROOT, file);
    const writer = path.split('/')[1];
    const text = readFileSync(file, 'utf8');
    const sql = [...text.matchAll(/\b(?:INSERT INTO|UPDATE|DELETE FROM)\s+([a-z_]+)/g)].map((match) => match[1]);
    const orm = [...text.matchAll(/\.(?:into|update|insert|delete|save|remove|upsert|increment|decrement)\(\s*([A-Z]\w*Entity)\b/g)].map(
      (match) => entityTables.get(match[1]) ?? match[1],
    );
    return [...sql, ...orm].map((table) => ({ writer, table, file: path }));
  });
}

describe('one owner per table (docs/table-owners.md)', () => {
  const markdown = readFileSync(join(ROOT, 'docs/table-owners.md'), 'utf8');
  const owners = new Map(tableUnder(markdown, null).map(([table, owner]) => [table, owner]));
  const allowed = new Set(tableUnder(markdown, 'Writes outside the owner').map(([table, writer]) => `${table} ${writer}`));

  it('names an owner for every table the migrations create, and no table they do not', () => {
    const created = new Set(
      files('migrations', /\.ts$/).flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/CREATE TABLE ([a-z_]+)/g)].map((match) => match[1]),
      ),
    );
    expect([...owners.keys()].sort()).toEqual([...created].sort());
  });

  it('finds the writes it checks (the scan still sees the SQL and the TypeORM writes)', () => {
    const found = writes();
    expect(found).toContainEqual(expect.objectContaining({ writer: 'approvals', table: 'approvals' }));
    expect(found).toContainEqual(expect.objectContaining({ writer: 'agents', table: 'agents' }));
    expect(found).toContainEqual(expect.objectContaining({ writer: 'tokens', table: 'signing_keys' }));
  });

  it('every write is by the owner, or listed with its reason under "Writes outside the owner"', () => {
    const violations = writes()
      .filter(({ writer, table }) => owners.get(table) !== writer && !allowed.has(`${table} ${writer}`))
      .map(({ writer, table, file }) => `${file}: ${writer} writes ${table} (owner: ${owners.get(table) ?? 'none'})`);
    expect(violations).toEqual([]);
  });
});
