import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { findNulCharacter } from './text';

/** Keys and indexes from the document's root to one node. */
export type DocumentPath = (string | number)[];

/** One problem in a YAML file, at the line and column a person has to fix. */
export interface YamlProblem {
  line: number;
  column: number;
  /** Dot path into the document, e.g. "actions[0].rules[1].when". */
  path: string;
  message: string;
  kind: 'syntax' | 'schema';
}

export type Locate = (path: DocumentPath, atKey?: boolean) => { line: number; column: number };

/** A YAML file read against a zod schema: the value when it is valid, else every problem, and the line of any path. */
export interface YamlReading<T> {
  value?: T;
  errors: YamlProblem[];
  locate: Locate;
}

export function formatPath(path: DocumentPath): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  }
  return text;
}

/**
 * Parses YAML (duplicate keys refused) and validates it with `schema`, reporting each problem at its line: a
 * syntax error where the parser stopped, an unknown key at the key, a missing key at its parent, a bad value at
 * the value. The taxonomy and the MCP gateway's mapping file are both read this way.
 */
export function readYamlDocument<T>(yamlText: string, schema: z.ZodType<T>): YamlReading<T> {
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
  // YAML allows U+0000 (raw, or "\0" in a quoted string); Postgres, which stores such files, does not.
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

  const parsed = schema.safeParse(value);
  if (parsed.success) return { value: parsed.data, errors: [], locate };
  const errors: YamlProblem[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({ ...locate([...path, key], true), path: formatPath([...path, key]), message: `unknown key "${key}"`, kind: 'schema' });
      }
      continue;
    }
    const exists = findNode(document, path) !== undefined;
    const message = exists ? issue.message : `missing required key "${String(path[path.length - 1])}"`;
    errors.push({ ...locate(path), path: formatPath(path), message, kind: 'schema' });
  }
  return { errors: sortProblems(errors), locate };
}

/** Errors in the order a person reads the file. */
export function sortProblems<T extends { line: number; column: number }>(errors: T[]): T[] {
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
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

function firstLine(message: string): string {
  return message.split('\n', 1)[0];
}
