import { readFileSync } from 'node:fs';
import { findDefaultTaxonomyPath } from './default-taxonomy-path';
import { loadTaxonomy } from './taxonomy-compiler';
import { checkTaxonomy } from './taxonomy-lint';
import { parseTaxonomy } from './taxonomy-parser';
import { newClassificationInput } from './taxonomy.fixture';

const text = readFileSync(findDefaultTaxonomyPath(), 'utf8');
const taxonomy = loadTaxonomy(text);
const tierOf = (type: string, args: Record<string, unknown> = {}, provenance: string[] = ['user']) =>
  taxonomy.classify(newClassificationInput({ type, args, provenance })).tier;

describe('taxonomy/default.yaml', () => {
  it('is found at the repository root and validates without errors', () => {
    expect(findDefaultTaxonomyPath()).toMatch(/[/\\]taxonomy[/\\]default\.yaml$/);
    expect(parseTaxonomy(text)).toMatchObject({ ok: true });
  });

  it('lints clean and passes its own tests', () => {
    const check = checkTaxonomy(text);
    expect(check.lint).toEqual({ errors: 0, warnings: 0, findings: [] });
    expect(check.tests?.failures).toEqual([]);
    expect(check.tests?.total).toBeGreaterThanOrEqual(30);
  });

  it('classifies payments by amount', () => {
    expect(tierOf('payments.transfer', { amount: 50 })).toBe('medium');
    expect(tierOf('payments.transfer', { amount: 5000 })).toBe('critical');
    expect(tierOf('payments.transfer', { amount: 1_000_000 })).toBe('forbidden');
    expect(tierOf('payments.transfer', {})).toBe('critical');
    expect(tierOf('payments.refund', { amount: 20 })).toBe('low');
    expect(taxonomy.classify(newClassificationInput({ type: 'payments.transfer', args: { amount: 5 } })).sensitive_args).toContain(
      'account_number',
    );
  });

  it('treats destructive database changes as critical', () => {
    expect(tierOf('database.schema.drop_table', { table: 'users' })).toBe('critical');
    expect(tierOf('database.schema.truncate_table', { table: 'users' })).toBe('critical');
    expect(tierOf('database.query', { sql: 'DROP TABLE users' })).toBe('critical');
    expect(tierOf('database.query', { sql: 'select * from users; drop table users' })).toBe('critical');
    expect(tierOf('database.query', { sql: 'SELECT id FROM users' })).toBe('low');
    expect(tierOf('database.query', { sql: 'update users set admin = true' })).toBe('high');
  });

  it('separates production from staging deployments', () => {
    expect(tierOf('deploy.service', { environment: 'production' })).toBe('high');
    expect(tierOf('deploy.service', { environment: 'staging' })).toBe('low');
    expect(tierOf('deploy.service', {})).toBe('medium');
  });

  it('separates one email from a bulk send', () => {
    expect(tierOf('email.send', { to: ['bob@acme.test'] })).toBe('high');
    expect(tierOf('email.send', { to: ['someone@elsewhere.test'] })).toBe('critical');
    expect(tierOf('email.bulk.send', { recipient_count: 4000 })).toBe('critical');
    expect(tierOf('email.bulk.send', { recipient_count: 20 })).toBe('high');
  });

  it('covers cloud, access and secrets', () => {
    expect(tierOf('cloud.vm.delete')).toBe('critical');
    expect(tierOf('cloud.vm.create')).toBe('low');
    expect(tierOf('access.grant', { role: 'admin' })).toBe('critical');
    expect(tierOf('access.grant', { role: 'viewer' })).toBe('high');
    expect(tierOf('secrets.read')).toBe('high');
    expect(tierOf('calendar.event.create', { attendees: ['ann@acme.test'] })).toBe('low');
    expect(tierOf('calendar.event.create', { attendees: ['x@other.test'] })).toBe('medium');
  });

  it('treats unknown types as critical and bumps untrusted provenance', () => {
    expect(tierOf('totally.new.thing')).toBe('critical');
    expect(tierOf('payments.transfer', { amount: 50 }, ['user', 'web_page'])).toBe('high');
    expect(tierOf('cloud.vm.create', {}, ['email'])).toBe('medium');
  });
});
