import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

interface Linted {
  file: string;
  messages: string[];
  inRealConfig: string;
}

function lint(cases: Array<{ file: string; code: string }>): Linted[] {
  const output = execFileSync(process.execPath, [join(__dirname, 'lint-boundaries.mjs')], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
  });
  return JSON.parse(output) as Linted[];
}

/** Each folder's boundary: a snippet that crosses it, and one that stays inside. */
const CASES: Array<{ rule: string; file: string; bad: string; good: string }> = [
  {
    rule: 'libs/domain imports no Nest',
    file: 'libs/domain/src/probe.ts',
    bad: "import { Injectable } from '@nestjs/common';",
    good: "import { DomainError } from './errors';",
  },
  {
    rule: 'libs/domain imports no ORM',
    file: 'libs/domain/src/probe.ts',
    bad: "import { DataSource } from 'typeorm';",
    good: "import { z } from 'zod';",
  },
  {
    rule: 'libs/domain imports no driver',
    file: 'libs/domain/src/probe.ts',
    bad: "import { Pool } from 'pg';",
    good: "import { createHash } from 'node:crypto';",
  },
  {
    rule: 'libs/domain imports no feature library',
    file: 'libs/domain/src/probe.ts',
    bad: "import { Database } from '@countersign/database';",
    good: "import { nextStatus } from './approval-state';",
  },
  {
    rule: 'libs/domain imports no feature library by path',
    file: 'libs/domain/src/probe.ts',
    bad: "import { AgentsService } from '../../agents/src';",
    good: "import { canonicalJson } from './canonical-json';",
  },
  {
    rule: 'the agent SDK imports nothing of the tree',
    file: 'libs/client/src/probe.ts',
    bad: "import { DomainError } from '@countersign/domain';",
    good: "import { createHash } from 'node:crypto';",
  },
  {
    rule: 'the verifier SDK imports nothing of the tree by path',
    file: 'libs/enforcement/src/probe.ts',
    bad: "import { DomainError } from '../../domain/src/errors';",
    good: "import { computeActionDigest } from './action-digest';",
  },
  {
    rule: 'the wire contract imports nothing of the tree',
    file: 'libs/contract/src/probe.ts',
    bad: "import { type ApprovalStatus } from '@countersign/domain';",
    good: "import { z } from 'zod';",
  },
  {
    rule: 'libraries never import apps',
    file: 'libs/approvals/src/probe.ts',
    bad: "import { createApiApp } from '../../../apps/api/src';",
    good: "import { Database } from '@countersign/database';",
  },
  {
    rule: 'the web app imports no library',
    file: 'apps/web/src/probe.ts',
    bad: "import { DomainError } from '@countersign/domain';",
    good: "import type { ApprovalView } from '@countersign/contract';",
  },
  {
    rule: 'the web app imports no library by path',
    file: 'apps/web/src/pages/probe.tsx',
    bad: "import { MAX_PAGE } from '../../../../libs/approvals/src/approver.service';",
    good: "import { api } from '../api';",
  },
  {
    rule: 'the web app imports no other app',
    file: 'apps/web/src/probe.ts',
    bad: "import { runApi } from '../../api/src';",
    good: "import { formatAge } from './format';",
  },
  {
    rule: 'apps import each other only through index.ts',
    file: 'apps/cli/src/commands/probe.ts',
    bad: "import { createApiApp } from '../../../api/src/app';",
    good: "import { createApiApp } from '../../../api/src';",
  },
  {
    rule: 'the worker imports the API only through index.ts',
    file: 'apps/worker/src/probe.ts',
    bad: "import { ProblemFilter } from '../../api/src/http/problem.filter';",
    good: "import { JobName } from '@countersign/queue';",
  },
  {
    rule: 'the CLI imports the MCP gateway only through index.ts',
    file: 'apps/cli/src/commands/probe.ts',
    bad: "import { Gateway } from '../../../mcp-gateway/src/gateway';",
    good: "import { startGateway } from '../../../mcp-gateway/src';",
  },
  {
    rule: 'the MCP gateway imports other apps only through index.ts',
    file: 'apps/mcp-gateway/src/probe.ts',
    bad: "import { ProblemFilter } from '../../api/src/http/problem.filter';",
    good: "import { createCountersignClient } from '@countersign/client';",
  },
  {
    rule: 'the harness imports apps only through index.ts',
    file: 'test/support/probe.ts',
    bad: "import { createWorkerApp } from '../../apps/worker/src/main';",
    good: "import { createWorkerApp } from '../../apps/worker/src';",
  },
];

describe('the architecture, enforced by eslint.config.mjs (no-restricted-imports per folder)', () => {
  const results = lint(
    CASES.flatMap(({ file, bad, good }) => [
      { file, code: bad },
      { file, code: good },
    ]),
  );

  it.each(CASES.map((probe, index) => [probe.rule, probe.file, index] as const))(
    '%s (%s): the crossing fails, the import inside passes',
    (_rule, _file, index) => {
      const [bad, good] = [results[2 * index], results[2 * index + 1]];
      expect(bad.messages).toEqual([expect.stringMatching(/^no-restricted-imports: /)]);
      expect(good.messages).toEqual([]);
      // The real config applies the same rule to that folder (the boundaries are wired in, not only defined).
      expect(bad.inRealConfig).toContain('patterns');
    },
  );
});
