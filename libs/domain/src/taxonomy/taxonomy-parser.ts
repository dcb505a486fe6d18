import { readYamlDocument, sortProblems, formatPath, type Locate } from '../yaml-document';
import { findSemanticProblems, type SemanticProblemKind } from './taxonomy-semantics';
import { taxonomySchema } from './taxonomy.schema';
import type { TaxonomyDocument, TaxonomyError, TaxonomyParseResult } from './taxonomy.types';

/** What kind of mistake a parse error is: YAML syntax, document shape, or one of the semantic kinds. */
export type TaxonomyErrorKind = 'syntax' | 'schema' | SemanticProblemKind;

export type LocatedError = TaxonomyError & { kind: TaxonomyErrorKind };

export type { Locate };

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
  const reading = readYamlDocument(yamlText, taxonomySchema);
  const { locate } = reading;
  if (reading.value === undefined) return { errors: reading.errors, locate };
  // The schema's output is structurally the document type; tier names are strings until the semantic pass.
  const taxonomy = reading.value as TaxonomyDocument;
  const problems = findSemanticProblems(taxonomy);
  if (problems.length > 0) {
    return {
      errors: sortProblems(
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
