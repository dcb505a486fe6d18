// An agent that wants to move money: it asks Countersign first, waits for a person to approve, then calls the
// payments service with the approval token. Run `examples/downstream-service.ts` alongside it.
//   COUNTERSIGN_URL, COUNTERSIGN_CLIENT_ID, COUNTERSIGN_CLIENT_SECRET  the agent's OAuth client
//   ON_BEHALF_OF      email or id of the person the agent acts for
//   DOWNSTREAM_URL    defaults to http://127.0.0.1:4000/transfers
import { CountersignError, createCountersignClient } from '@countersign/client';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const countersign = createCountersignClient({
    baseUrl: required('COUNTERSIGN_URL'),
    clientId: required('COUNTERSIGN_CLIENT_ID'),
    clientSecret: required('COUNTERSIGN_CLIENT_SECRET'),
  });
  const transfer = {
    type: 'payments.transfer',
    resource: 'account:ops-eur',
    args: { amount: 25, currency: 'EUR', to: 'acct_coffee_roasters', memo: 'Office coffee, March' },
  };

  console.log('Asking for approval; a person decides in Slack or the web app...');
  const outcome = await countersign.requestApproval(
    {
      action: transfer,
      on_behalf_of: required('ON_BEHALF_OF'),
      audience: 'https://payments.internal',
      reason: 'Monthly office coffee order',
    },
    { timeoutMs: 15 * 60_000 },
  );
  if (outcome.status !== 'approved') {
    console.log(`Not approved: ${outcome.status}${outcome.approval.status_reason ? ` (${outcome.approval.status_reason})` : ''}`);
    process.exitCode = 1;
    return;
  }

  // The token is bound to exactly these arguments: send them unchanged.
  const response = await fetch(process.env.DOWNSTREAM_URL ?? 'http://127.0.0.1:4000/transfers', {
    method: 'POST',
    headers: { authorization: `Approval ${outcome.approvalToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resource: transfer.resource, args: transfer.args }),
  });
  console.log(`Payments service answered ${response.status}: ${await response.text()}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof CountersignError ? `${error.name} (${error.code}): ${error.detail}` : error);
  process.exitCode = 1;
});
