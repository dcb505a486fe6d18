import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT_PACKAGE_NAME = 'countersign';

/**
 * `<repo root>/taxonomy/default.yaml`, found by walking up to the package.json named "countersign" so it works from
 * sources, from `dist/`, and under jest alike. The only filesystem access in the domain library.
 */
export function findDefaultTaxonomyPath(startDirectory: string = __dirname): string {
  let directory = startDirectory;
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === ROOT_PACKAGE_NAME) {
      return join(directory, 'taxonomy', 'default.yaml');
    }
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error(`no package.json named "${ROOT_PACKAGE_NAME}" above ${startDirectory}`);
    }
    directory = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}
