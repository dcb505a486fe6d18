import { cpus, totalmem } from 'node:os';
import { benchDecision } from './decision.bench';
import { benchDelivery } from './delivery.bench';
import { benchIntake } from './intake.bench';
import { benchGateway } from './mcp-gateway.bench';
import { benchClassification, benchReplay } from './taxonomy.bench';
import { benchVerifier } from './verifier.bench';

/** `npm run bench`: our figures beside ceilings measured in the same run; only the ratios compare across machines. */
async function main(): Promise<void> {
  const log = (message: string) => process.stderr.write(message + '\n');
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(`Countersign benchmark — ${new Date().toISOString().slice(0, 10)} — ${machine}`);

  const intake = await benchIntake(log);
  const decision = await benchDecision(log);
  const delivery = await benchDelivery(log);
  log('verifier: libs/enforcement verify vs raw node:crypto ES256...');
  const verifier = await benchVerifier();
  log('taxonomy: classification of a 200-type, 500-rule taxonomy vs a lookup and one CEL evaluation...');
  const classification = benchClassification();
  const replay = await benchReplay(log);
  const gateway = await benchGateway(log);

  const pct = (ours: number, ceiling: number) => `${((100 * ours) / ceiling).toFixed(0)}%`;
  const ms = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ') + ' ms';
  const rows = [
    [
      'intake (POST /v1/approvals, 50 connections)',
      `${intake.intakePerSecond.toFixed(0)} req/s, p99 ${intake.intakeP99Ms.toFixed(1)} ms`,
      `${intake.ceilingPerSecond.toFixed(0)} inserts/s, p99 ${intake.ceilingP99Ms.toFixed(1)} ms (bare pg pool)`,
      pct(intake.intakePerSecond, intake.ceilingPerSecond),
      '≥ 30%, p99 ≤ 50 ms',
    ],
    [
      `decision-to-agent (person's POST …/decision → agent's ?wait=30 long-poll answer, ${decision.approvals} approvals, ${decision.concurrency} at a time)`,
      `p50 ${decision.p50Ms.toFixed(1)} ms, p99 ${decision.p99Ms.toFixed(1)} ms (one at a time: p50 ${decision.sequentialP50Ms.toFixed(1)}, p99 ${decision.sequentialP99Ms.toFixed(1)} ms); polling every 5 s: p50 ${(decision.pollingP50Ms / 1000).toFixed(2)} s, p99 ${(decision.pollingP99Ms / 1000).toFixed(2)} s`,
      `p50 ${decision.ceilingP50Ms.toFixed(1)} ms, p99 ${decision.ceilingP99Ms.toFixed(1)} ms (bare GET /health/live on the same API, ${decision.concurrency} at a time)`,
      pct(decision.ceilingP99Ms, decision.p99Ms),
      'p99 ≤ 50 ms',
    ],
    [
      `intake-to-delivery (201 from POST /v1/approvals → fake Slack receives chat.postMessage; ${delivery.rate} req/s, Slack answering in 50 ms; median of ${delivery.rounds} rounds of ${delivery.seconds} s)`,
      `p50 ${delivery.p50Ms.toFixed(1)} ms, p99 ${delivery.p99Ms.toFixed(1)} ms (rounds: ${ms(delivery.p99sMs)}); CPU per approval: worker ${delivery.workerCpuMsPerApproval.toFixed(1)} ms, API ${delivery.apiCpuMsPerApproval.toFixed(1)} ms, PostgreSQL ${delivery.postgresCpuMsPerApproval.toFixed(1)} ms`,
      `p50 ${delivery.ceilingP50Ms.toFixed(1)} ms, p99 ${delivery.ceilingP99Ms.toFixed(1)} ms (a bare client's chat.postMessage to the same fake at ${delivery.rate}/s)`,
      pct(delivery.ceilingP99Ms, delivery.p99Ms),
      'p99 ≤ 250 ms',
    ],
    [
      `intake-to-delivery, while one more agent floods at its quota (${delivery.floodPerSecond} req/s), in the same rounds`,
      `p50 ${delivery.floodedP50Ms.toFixed(1)} ms, p99 ${delivery.floodedP99Ms.toFixed(1)} ms (rounds: ${ms(delivery.floodedP99sMs)}; p99 ${delivery.floodedP99Ms >= delivery.p99Ms ? '+' : ''}${((100 * (delivery.floodedP99Ms - delivery.p99Ms)) / delivery.p99Ms).toFixed(0)}%); the flooder's own p99 ${delivery.flooderP99Ms.toFixed(0)} ms, ${delivery.flooderRefused} of its ${delivery.rounds * delivery.floodPerSecond * delivery.seconds} requests refused as backlogged`,
      `p50 ${delivery.turnedAwayP50Ms.toFixed(1)} ms, p99 ${delivery.turnedAwayP99Ms.toFixed(1)} ms (rounds: ${ms(delivery.turnedAwayP99sMs)}; the same flood turned away at the door by a quota of one a minute: the floor)`,
      pct(delivery.turnedAwayP99Ms, delivery.floodedP99Ms),
      'p99 ≤ 250 ms, ≤ +50%',
    ],
    [
      'verifier (verify + consume, ES256)',
      `${verifier.verifier.toFixed(0)} verifications/s`,
      `${verifier.raw.toFixed(0)} verifications/s (raw node:crypto)`,
      pct(verifier.verifier, verifier.raw),
      '≥ 80%',
    ],
    [
      `taxonomy classification (${classification.types} action types, ${classification.rules} CEL rules, one core)`,
      `${classification.classifications.toFixed(0)} classifications/s`,
      `${classification.ceiling.toFixed(0)}/s (a type lookup + one precompiled CEL evaluation)`,
      pct(classification.classifications, classification.ceiling),
      '≥ 100,000/s',
    ],
    [
      `taxonomy replay (${replay.approvals} stored approvals)`,
      `${replay.replaySeconds.toFixed(2)} s`,
      `${replay.ceilingSeconds.toFixed(2)} s (a bare SELECT of the same rows)`,
      pct(replay.ceilingSeconds, replay.replaySeconds),
      '< 10 s',
    ],
    [
      `MCP gateway overhead (an auto-approved tools/call through \`countersign mcp-gateway\` vs the same call to the upstream, ${gateway.calls} each, one at a time)`,
      `p50 ${gateway.gatewayP50Ms.toFixed(1)} ms, p99 ${gateway.gatewayP99Ms.toFixed(1)} ms: overhead p50 ${gateway.overheadP50Ms.toFixed(1)} ms`,
      `p50 ${gateway.directP50Ms.toFixed(1)} ms, p99 ${gateway.directP99Ms.toFixed(1)} ms (the MCP client straight to the upstream); Countersign's intake alone (one auto-approved POST /v1/approvals): p50 ${gateway.intakeP50Ms.toFixed(1)} ms`,
      pct(gateway.directP50Ms, gateway.gatewayP50Ms),
      'overhead p50 ≤ 5 ms',
    ],
    [
      `MCP gateway holding ${gateway.pending} pending tool calls (nobody decides; then the client cancels them all)`,
      `RSS ${gateway.rssMiB.before} → ${gateway.rssMiB.holding} → ${gateway.rssMiB.after} MiB; open fds ${gateway.fds.before} → ${gateway.fds.holding} → ${gateway.fds.after}`,
      'idle → holding → after (the gateway process, /proc)',
      '',
      'back to idle after',
    ],
    ['API RSS after the intake run', `${intake.apiRssMiB} MiB`, '', '', ''],
  ];
  process.stdout.write(`\n| benchmark | Countersign | ceiling (same run) | ratio | target |\n|---|---|---|---|---|\n`);
  for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
  if (delivery.errors > 0 || delivery.undelivered > 0)
    process.stdout.write(
      `\nwarning: intake-to-delivery had ${delivery.errors} failed requests and ${delivery.undelivered} approvals not delivered within 30 s\n`,
    );
  if (intake.intakeErrors > 0) process.stdout.write(`\nwarning: ${intake.intakeErrors} intake requests failed or were not 2xx\n`);
  process.stdout.write(`\n${machine}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
