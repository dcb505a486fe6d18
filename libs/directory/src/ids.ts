const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** SCIM ids are our rows' UUIDs; anything else names no resource (and must not reach a `::uuid` cast). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** What `id eq "<not a UUID>"` looks for: an id no resource has, so the filter matches nothing (not a cast error). */
export const NO_ID = '00000000-0000-0000-0000-000000000000';
