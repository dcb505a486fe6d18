import { DomainError } from '@countersign/domain';
import { parseFilter } from './scim-filter';

const USERS = ['userName', 'externalId', 'id'];

function refusal(filter: string): { message: string; scimType: unknown } {
  try {
    parseFilter(filter, USERS);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return { message: (error as DomainError).message, scimType: (error as DomainError).details?.scimType };
  }
  throw new Error(`${filter} was accepted`);
}

describe('parseFilter', () => {
  it('reads one equality, the attribute name matched case-insensitively, the value a JSON string', () => {
    expect(parseFilter('userName eq "bjensen@example.com"', USERS)).toEqual({ attribute: 'userName', value: 'bjensen@example.com' });
    expect(parseFilter('USERNAME EQ "a"', USERS)).toEqual({ attribute: 'userName', value: 'a' });
    expect(parseFilter('externalId eq "00ujl29u0le5T6Aj10h7"', USERS)).toEqual({ attribute: 'externalId', value: '00ujl29u0le5T6Aj10h7' });
    expect(parseFilter('userName eq "with \\"quotes\\" and spaces"', USERS).value).toBe('with "quotes" and spaces');
    expect(parseFilter('  userName   eq   "x"  ', USERS).value).toBe('x');
  });

  it.each([
    ['userName', /not "<attribute> <operator> <value>"/],
    ['userName eq', /no value/],
    ['userName eq "open', /not closed/],
    ['userName eq bare', /not a value/],
    ['(userName eq "x")', /not an attribute/],
    ['userName eq "x" trailing', /unexpected "trailing"/],
    ['userName === "x"', /not a SCIM operator/],
    ['userName co "x"', /operator "co" is not supported/],
    ['userName pr', /operator "pr" is not supported/],
    ['userName eq "x" and externalId eq "y"', /"and" is not supported/],
    ['userName eq "x" or userName eq "y"', /"or" is not supported/],
    ['title eq "boss"', /cannot be filtered on/],
    ['userName eq true', /compared with a string/],
    ['emails[type eq "work"] eq "x"', /not an attribute/],
  ])('refuses %j as invalidFilter', (filter, message) => {
    const refused = refusal(filter);
    expect(refused.scimType).toBe('invalidFilter');
    expect(refused.message).toMatch(message);
  });
});
