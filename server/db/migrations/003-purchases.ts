/** Purchases (issue 4): checkout sessions, provider events, fulfilments. Owned by server/purchases. */
export const purchasesMigration = {
  version: 3,
  name: 'purchases',
  sql: `create table purchases_placeholder (id integer primary key)`,
};
