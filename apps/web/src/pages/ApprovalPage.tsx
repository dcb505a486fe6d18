export function ApprovalPage() {
  return <section className="page"><h1>Approval</h1></section>;
}
