import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { findSemanticProblems, formatPath, type DocumentPath } from './taxonomy-semantics';
import { taxonomySchema } from './taxonomy.schema';
import type { TaxonomyDocument, TaxonomyError, TaxonomyParseResult } from './taxonomy.types';

/** Parses and validates taxonomy YAML, reporting every problem with the line an admin has to fix. */
export function parseTaxonomy(yamlText: string): TaxonomyParseResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => ({ ...position(error.pos[0]), path: '', message: firstLine(error.message) })),
    };
  }

  const locate = (path: DocumentPath, atKey = false): { line: number; column: number } => {
    const offset = findOffset(document, path, atKey);
    return offset === undefined ? { line: 1, column: 1 } : position(offset);
  };

  const parsed = taxonomySchema.safeParse(document.toJS());
  if (!parsed.success) {
    const errors: TaxonomyError[] = [];
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          errors.push({ ...locate([...path, key], true), path: formatPath([...path, key]), message: `unknown key "${key}"` });
        }
        continue;
      }
      const exists = findNode(document, path) !== undefined;
      const message = exists ? issue.message : `missing required key "${String(path[path.length - 1])}"`;
      errors.push({ ...locate(path), path: formatPath(path), message });
    }
    return { ok: false, errors: sortErrors(errors) };
  }

  // The schema's output is structurally the document type; tier names are strings until the semantic pass.
  const taxonomy = parsed.data as TaxonomyDocument;
  const problems = findSemanticProblems(taxonomy);
  if (problems.length > 0) {
    return {
      ok: false,
      errors: sortErrors(
        problems.map((problem) => ({ ...locate(problem.path, problem.atKey), path: formatPath(problem.path), message: problem.message })),
      ),
    };
  }
  return { ok: true, taxonomy };
}

function findNode(document: Document, path: DocumentPath): unknown {
  return path.length === 0 ? document.contents : document.getIn(path, true);
}

/** Offset of the node at `path`, or of its nearest existing ancestor (a missing key is reported at its parent). */
function findOffset(document: Document, path: DocumentPath, atKey: boolean): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const prefix = path.slice(0, length);
    if (atKey && length === path.length && length > 0) {
      const parent = findNode(document, prefix.slice(0, -1));
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(prefix[length - 1]));
        if (pair !== undefined && isScalar(pair.key) && pair.key.range) {
          return pair.key.range[0];
        }
      }
      continue;
    }
    const node = findNode(document, prefix) as { range?: [number, number, number] } | null | undefined;
    if (node !== null && typeof node === 'object' && node.range) {
      return node.range[0];
    }
  }
  return undefined;
}

function sortErrors(errors: TaxonomyError[]): TaxonomyError[] {
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0];
}
