import { existsSync, readFileSync } from 'node:fs';
import { type INestApplicationContext } from '@nestjs/common';
import { CLI } from '@countersign/audit';
import {
  checkTaxonomy,
  DomainError,
  type LintFinding,
  type ReplayExample,
  type TaxonomyDiff,
  type TaxonomyTestFailure,
  type TierChange,
} from '@countersign/domain';
import { type ReplayResult, TaxonomyReviewService, TaxonomyService } from '@countersign/taxonomy';
import { type Output, table } from '../output';

/**
 * `countersign taxonomy ...`. `lint` and `test` need nothing but the file (they run in CI without a database); the
 * others are one service call each. Each returns false when the command should exit 1.
 */
export const taxonomyCommands = {
  /** `knownGroups`: the directory's group names (`--groups`, or `--directory` read them); unknown, groups are not checked. */
  lint(out: Output, file: string, options: { strict?: boolean; knownGroups?: readonly string[] }): boolean {
    const { lint } = checkTaxonomy(readFileSync(file, 'utf8'), { runTests: false, knownGroups: options.knownGroups });
    out.result(lint, () =>
      [
        ...lint.findings.map((finding) => formatFinding(file, finding)),
        `${plural(lint.errors, 'error')}, ${plural(lint.warnings, 'warning')}`,
      ].join('\n'),
    );
    return lint.errors === 0 && (options.strict !== true || lint.warnings === 0);
  },

  /** Lint with the group names of the deployment's directory. */
  async lintWithDirectory(app: INestApplicationContext, out: Output, file: string, options: { strict?: boolean }): Promise<boolean> {
    return this.lint(out, file, { ...options, knownGroups: await app.get(TaxonomyService).knownGroups() });
  },

  test(out: Output, file: string): boolean {
    const { lint, tests } = checkTaxonomy(readFileSync(file, 'utf8'));
    if (tests === null) {
      out.result({ lint, tests }, () =>
        [
          ...lint.findings.filter((finding) => finding.severity === 'error').map((finding) => formatFinding(file, finding)),
          'the taxonomy is invalid: its tests cannot run',
        ].join('\n'),
      );
      return false;
    }
    out.result(tests, () => {
      const summary =
        tests.failures.length === 0
          ? `${plural(tests.total, 'test')} passed`
          : `${tests.failures.length} of ${plural(tests.total, 'test')} failed`;
      return [...tests.failures.map((failure) => formatFailure(file, failure)), summary].join('\n');
    });
    return tests.failures.length === 0;
  },

  async apply(app: INestApplicationContext, out: Output, file: string, comment?: string) {
    const applied = await app.get(TaxonomyService).apply(CLI, readFileSync(file, 'utf8'), comment);
    out.result(applied, () =>
      [
        ...applied.warnings.map((finding) => formatFinding(file, finding)),
        `Applied ${file} as taxonomy version ${applied.version} (${applied.checksum}); it is active now. ${plural(applied.tests.total, 'test')} passed${applied.warnings.length > 0 ? `, ${plural(applied.warnings.length, 'warning')}` : ''}.`,
      ].join('\n'),
    );
  },

  async list(app: INestApplicationContext, out: Output) {
    const versions = await app.get(TaxonomyService).list();
    out.result(versions, () =>
      table(
        versions.map((version) => ({
          version: String(version.version),
          active: version.active ? 'yes' : '',
          created: version.createdAt.toISOString(),
          by: version.createdBy,
          comment: version.comment ?? '',
        })),
      ),
    );
  },

  async show(app: INestApplicationContext, out: Output, version: string) {
    const record = await app.get(TaxonomyService).get(versionNumber(version));
    out.result(
      record,
      () =>
        `# taxonomy version ${record.version}${record.active ? ' (active)' : ''}, ${record.createdAt.toISOString()} by ${record.createdBy}${record.comment ? `: ${record.comment}` : ''}\n${record.source.trimEnd()}`,
    );
  },

  async activate(app: INestApplicationContext, out: Output, version: string, reason: string) {
    const activated = await app.get(TaxonomyService).activate(CLI, versionNumber(version), reason);
    out.result(
      activated,
      () => `Taxonomy version ${activated.version} is active now (it replaces version ${activated.previousVersion ?? 'none'})`,
    );
  },

  /** `diff A [B]`: each side is a version number or a file; B defaults to the active version, A alone is compared with it. */
  async diff(app: INestApplicationContext, out: Output, from: string, to?: string) {
    const review = app.get(TaxonomyReviewService);
    let diff: TaxonomyDiff;
    let title: string;
    if (to === undefined && isFile(from)) {
      diff = await review.diffCandidate(readFileSync(from, 'utf8'));
      title = `active version -> ${from}`;
    } else if (to !== undefined && isFile(to)) {
      diff = await review.diffCandidate(readFileSync(to, 'utf8'), versionNumber(from));
      title = `version ${from} -> ${to}`;
    } else {
      const versions = await review.diffVersions(versionNumber(from), to === undefined ? undefined : versionNumber(to));
      diff = versions;
      title = `version ${versions.from} -> version ${versions.to}`;
    }
    out.result(diff, () => formatDiff(title, diff));
  },

  async replay(
    app: INestApplicationContext,
    out: Output,
    file: string,
    options: { last?: number; days?: number; allowRelax?: boolean },
  ): Promise<boolean> {
    const window = { last: options.last, days: options.days };
    const result = await app
      .get(TaxonomyReviewService)
      .replay(readFileSync(file, 'utf8'), window, (replayed) => out.progress(`replayed ${replayed} approvals...`));
    out.progressDone();
    const refused = result.relaxes && options.allowRelax !== true;
    out.result(result, () => formatReplay(file, result, refused));
    return !refused;
  },

  async unknownActions(app: INestApplicationContext, out: Output, days: number) {
    const report = await app.get(TaxonomyReviewService).unknownActions(days);
    out.result(report, () =>
      report.actions.length === 0
        ? `No unknown action types in the last ${days} days`
        : table(
            report.actions.map((action) => ({
              action_type: action.action_type,
              count: String(action.count),
              last_seen: action.last_seen,
              agents: action.agents.join(','),
              'matched now by': action.matched_now ?? '',
            })),
          ),
    );
  },
};

function formatFinding(file: string, finding: LintFinding): string {
  return `${file}:${finding.line}:${finding.column} ${finding.severity} ${finding.code} ${finding.path ? `${finding.path}: ` : ''}${finding.message}`;
}

function formatFailure(file: string, failure: TaxonomyTestFailure): string {
  const { action, provenance, agent, person } = failure.case;
  const expected = Object.entries(failure.expected).map(([field, value]) => `${field} ${String(value)}`);
  const actual = Object.entries(failure.actual).map(([field, value]) => `${field} ${String(value)}`);
  return [
    `FAIL ${file}:${failure.line ?? '?'} ${failure.path} "${failure.name}"`,
    `  case:       ${action.type}${action.resource ? ` on ${action.resource}` : ''} args ${JSON.stringify(action.args ?? {})} provenance ${JSON.stringify(provenance ?? [])}${agent ? ` agent ${JSON.stringify(agent)}` : ''}${person ? ` person ${JSON.stringify(person)}` : ''}`,
    `  expected:   ${expected.join(', ')}`,
    `  got:        ${actual.join(', ')}`,
    `  mismatch:   ${failure.mismatches.join(', ')}`,
    `  decided by: ${failure.decided_by}`,
    ...failure.reasons.map((reason) => `    ${reason}`),
  ].join('\n');
}

function formatDiff(title: string, diff: TaxonomyDiff): string {
  const lines = [`Taxonomy diff, ${title}:`];
  if (diff.unknown_action) lines.push(`  unknown_action: ${formatTier(diff.unknown_action)}`);
  const { added, removed } = diff.trusted_provenance;
  if (added.length + removed.length > 0)
    lines.push(`  trusted_provenance: ${[...added.map((entry) => `+${entry}`), ...removed.map((entry) => `-${entry}`)].join(' ')}`);
  for (const tier of diff.tiers)
    lines.push(
      `  tier ${tier.tier} (${tier.strictness}): ${tier.fields.map((field) => `${field.field} ${JSON.stringify(field.before)} -> ${JSON.stringify(field.after)}`).join(', ')}`,
    );
  for (const cell of diff.matrix) lines.push(`  matrix ${cell.reversibility}/${cell.blast_radius}: ${formatTier(cell.tier)}`);
  const sign = { added: '+', removed: '-', changed: '~' } as const;
  for (const action of diff.actions) {
    const fields = action.fields.map((field) => `${field.field} ${JSON.stringify(field.before)} -> ${JSON.stringify(field.after)}`);
    lines.push(`  ${sign[action.change]} ${action.type}: ${[...fields, `base tier ${formatTier(action.tier)}`].join('; ')}`);
    for (const rule of action.rules) {
      // The outcome tier is printed once, as a move, below; a changed `tier:` field is that same fact.
      const ruleFields = rule.fields
        .filter((field) => field.field !== 'tier')
        .map((field) => `${field.field} ${JSON.stringify(field.before)} -> ${JSON.stringify(field.after)}`);
      lines.push(`      ${sign[rule.change]} rule "${rule.rule}": ${[...ruleFields, `tier ${formatTier(rule.tier)}`].join('; ')}`);
    }
  }
  if (lines.length === 1) lines.push('  no changes in meaning');
  const summary = diff.summary;
  lines.push(
    `${summary.actions_added} action types added, ${summary.actions_removed} removed, ${summary.actions_changed} changed; ${summary.rules_added} rules added, ${summary.rules_removed} removed, ${summary.rules_changed} changed; tiers moved up ${summary.tiers_up}, down ${summary.tiers_down}; tests ${diff.tests.before} -> ${diff.tests.after}`,
  );
  return lines.join('\n');
}

function formatTier(change: TierChange): string {
  if (change.before === null) return `${change.after ?? 'none'} (new)`;
  if (change.after === null) return `${change.before} (gone)`;
  return change.before === change.after ? change.after : `${change.before} -> ${change.after} (${change.move})`;
}

function formatReplay(file: string, result: ReplayResult, refused: boolean): string {
  const moves = Object.entries(result.moves)
    .sort((a, b) => b[1] - a[1])
    .map(([move, count]) => `${move}: ${count}`);
  const example = (item: ReplayExample) =>
    `    ${item.created_at} ${item.action_type}${item.resource ? ` on ${item.resource}` : ''} (agent ${item.agent}): ${item.before.tier}/${item.before.decision} by ${item.before.rule} -> ${item.after.tier}/${item.after.decision} by ${item.after.rule}`;
  const lines = [
    `Replayed ${plural(result.replayed, 'stored approval')} (newest first) with ${file}:`,
    `  unchanged:                         ${result.unchanged}`,
    `  tier up:                           ${result.tier_up}`,
    `  tier down:                         ${result.tier_down}`,
    `  newly forbidden:                   ${result.newly_forbidden}`,
    `  needed a person, now automatic:    ${result.human_to_auto}`,
    `  more oversight:                    ${result.more_strict}`,
    `  less oversight:                    ${result.less_strict}`,
    ...(moves.length > 0 ? [`  tier moves: ${moves.join(', ')}`] : []),
  ];
  const titles = {
    newly_forbidden: 'newly forbidden',
    human_to_auto: 'needed a person, now automatic',
    less_strict: 'less oversight',
    tier_up: 'tier up',
    tier_down: 'tier down',
    more_strict: 'more oversight',
  } as const;
  for (const [category, title] of Object.entries(titles) as Array<[keyof typeof titles, string]>) {
    if (result.examples[category].length > 0) lines.push(`  examples, ${title}:`, ...result.examples[category].map(example));
  }
  if (refused)
    lines.push(
      `REFUSED: ${plural(result.less_strict, 'approval')} would get less oversight. Re-run with --allow-relax if that is intended.`,
    );
  else if (result.relaxes) lines.push(`${plural(result.less_strict, 'approval')} would get less oversight (allowed by --allow-relax).`);
  return lines.join('\n');
}

function versionNumber(value: string): number {
  const version = Number(value);
  if (!/^\d{1,9}$/.test(value) || version < 1)
    throw new DomainError('invalid_request', `"${value}" is neither a taxonomy version number nor a file`);
  return version;
}

function isFile(value: string): boolean {
  return !/^\d+$/.test(value) && existsSync(value);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
