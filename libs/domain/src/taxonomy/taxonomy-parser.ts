import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { findNulCharacter } from '../text';
import { findSemanticProblems, formatPath, type DocumentPath, type SemanticProblemKind } from './taxonomy-semantics';
import { taxonomySchema } from './taxonomy.schema';
import type { TaxonomyDocument, TaxonomyError, TaxonomyParseResult } from './taxonomy.types';

/** What kind of mistake a parse error is: YAML syntax, document shape, or one of the semantic kinds. */
export type TaxonomyErrorKind = 'syntax' | 'schema' | SemanticProblemKind;

export type LocatedError = TaxonomyError & { kind: TaxonomyErrorKind };

export type Locate = (path: DocumentPath, atKey?: boolean) => { line: number; column: number };

/** The parse with what lint needs beside it: each error's kind, and the line of any path in the document. */
export interface TaxonomyReading {
  taxonomy?: TaxonomyDocument;
  errors: LocatedError[];
  locate: Locate;
}

/** Parses and validates taxonomy YAML, reporting every problem with the line an admin has to fix. */
export function parseTaxonomy(yamlText: string): TaxonomyParseResult {
  const reading = readTaxonomy(yamlText);
  if (reading.taxonomy !== undefined) {
    return { ok: true, taxonomy: reading.taxonomy };
  }
  return { ok: false, errors: reading.errors.map(({ kind: _kind, ...error }) => error) };
}

export function readTaxonomy(yamlText: string): TaxonomyReading {
  const lineCounter = new LineCounter();
  const document = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate: Locate = (path, atKey = false) => {
    const offset = findOffset(document, path, atKey);
    return offset === undefined ? { line: 1, column: 1 } : position(offset);
  };

  if (document.errors.length > 0) {
    return {
      errors: document.errors.map((error) => ({ ...position(error.pos[0]), path: '', message: firstLine(error.message), kind: 'syntax' })),
      locate,
    };
  }
  // YAML allows U+0000 (raw, or "\0" in a quoted string); Postgres, which stores the file and its rules, does not.
  const rawNul = yamlText.indexOf('\u0000');
  if (rawNul >= 0)
    return { errors: [{ ...position(rawNul), path: '', message: 'the file contains U+0000 (NUL)', kind: 'syntax' }], locate };
  const value: unknown = document.toJS();
  const nulPath = findNulCharacter(value);
  if (nulPath !== undefined) {
    return {
      errors: [{ ...locate(nulPath), path: formatPath(nulPath), message: 'contains U+0000 (NUL), which cannot be stored', kind: 'schema' }],
      locate,
    };
  }

  const parsed = taxonomySchema.safeParse(value);
  if (!parsed.success) {
    const errors: LocatedError[] = [];
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          errors.push({
            ...locate([...path, key], true),
            path: formatPath([...path, key]),
            message: `unknown key "${key}"`,
            kind: 'schema',
          });
        }
        continue;
      }
      const exists = findNode(document, path) !== undefined;
      const message = exists ? issue.message : `missing required key "${String(path[path.length - 1])}"`;
      errors.push({ ...locate(path), path: formatPath(path), message, kind: 'schema' });
    }
    return { errors: sortErrors(errors), locate };
  }

  // The schema's output is structurally the document type; tier names are strings until the semantic pass.
  const taxonomy = parsed.data as TaxonomyDocument;
  const problems = findSemanticProblems(taxonomy);
  if (problems.length > 0) {
    return {
      errors: sortErrors(
        problems.map((problem) => ({
          ...locate(problem.path, problem.atKey),
          path: formatPath(problem.path),
          message: problem.message,
          kind: problem.kind,
        })),
      ),
      locate,
    };
  }
  return { taxonomy, errors: [], locate };
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

function sortErrors<T extends TaxonomyError>(errors: T[]): T[] {
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0];
}
