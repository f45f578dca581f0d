import type { PaymentProviderName } from '../../shared/api/purchases';
import type { Sql } from '../db/database';

/** An account's customer at a provider and the payment method it saved for off-session use. */
export interface CustomerRow {
  account_id: string;
  provider: PaymentProviderName;
  customer_ref: string;
  payment_method_ref: string | null;
  payment_method_label: string | null;
}

export const customerStore = {
  async get(
    sql: Sql,
    accountId: string,
    provider: PaymentProviderName,
  ): Promise<CustomerRow | null> {
    const { rows } = await sql.query<CustomerRow>(
      'select account_id, provider, customer_ref, payment_method_ref, payment_method_label from purchase_customers where account_id = $1 and provider = $2',
      [accountId, provider],
    );
    return rows[0] ?? null;
  },

  async byCustomer(
    sql: Sql,
    provider: PaymentProviderName,
    customerRef: string,
  ): Promise<CustomerRow | null> {
    const { rows } = await sql.query<CustomerRow>(
      'select account_id, provider, customer_ref, payment_method_ref, payment_method_label from purchase_customers where provider = $1 and customer_ref = $2',
      [provider, customerRef],
    );
    return rows[0] ?? null;
  },

  /** Records the customer; one already recorded stays (the first create wins). */
  async ensure(
    sql: Sql,
    r: { accountId: string; provider: PaymentProviderName; customerRef: string; now: string },
  ): Promise<string> {
    const { rows } = await sql.query<{ customer_ref: string }>(
      `insert into purchase_customers (account_id, provider, customer_ref, updated_at) values ($1, $2, $3, $4)
       on conflict (account_id, provider) do update set updated_at = purchase_customers.updated_at
       returning customer_ref`,
      [r.accountId, r.provider, r.customerRef, r.now],
    );
    return rows[0]?.customer_ref ?? r.customerRef;
  },

  async savePaymentMethod(
    sql: Sql,
    r: {
      accountId: string;
      provider: PaymentProviderName;
      customerRef: string;
      ref: string;
      label: string;
      now: string;
    },
  ): Promise<void> {
    await sql.query(
      `insert into purchase_customers (account_id, provider, customer_ref, payment_method_ref, payment_method_label, updated_at) values ($1, $2, $3, $4, $5, $6)
       on conflict (account_id, provider) do update set payment_method_ref = $4, payment_method_label = $5, updated_at = $6`,
      [r.accountId, r.provider, r.customerRef, r.ref, r.label, r.now],
    );
  },

  async email(sql: Sql, accountId: string): Promise<string> {
    const { rows } = await sql.query<{ email: string }>(
      'select email from accounts where id = $1',
      [accountId],
    );
    return rows[0]?.email ?? '';
  },
};
