// Ids arrive from URLs and request bodies; a malformed one is "not found", not a database error
// (PostgreSQL would refuse to cast it to uuid and abort the transaction).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
