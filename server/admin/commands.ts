import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Email, Password } from '../../shared/api/common';
import { NewPromoCode } from '../../shared/api/promo';
import { parseEntry } from '../../shared/ledger/chain';
import type { SignedCheckpoint } from '../../shared/ledger/checkpoint';
import { BucketSource, type EntryBody } from '../../shared/ledger/entry';
import { CreditKind, Id } from '../../shared/ledger/primitives';
import { OperatorName } from '../../shared/ledger/operator';
import { verifyChain } from '../../shared/ledger/verify';
import { WalletFold } from '../../shared/wallet/fold';
import { DAY, plusMs } from '../clock';
import { notFound } from '../http/errors';
import { accountOfBucket, adjustExpiry, bucketsOf } from '../ledger/operator-controls';
import { nodeChainDigest } from '../node-digest';
import type { Services } from '../services';
import {
  createPurchases,
  formatReconcileReport,
  purchasesConfigFromEnv,
  reconcile,
} from '../purchases';

/** Parses `--name value` flags, typed by their schema; unknown or missing flags are a clear error. */
function flags<S extends z.ZodObject>(args: string[], schema: S): z.output<S> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${a} needs a value`);
    out[a.slice(2)] = value;
    i++;
  }
  const parsed = schema.strict().safeParse(out);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`--${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'}`);
  }
  // `strict()` only refuses unknown keys: its output is the schema's own.
  return parsed.data as z.output<S>;
}

/** A required flag's message when it is missing altogether. */
const required = (what: string) => ({
  error: (issue: { input: unknown }) =>
    issue.input === undefined ? `is required: ${what}` : undefined,
});

/** Every operator command says who makes it and why; both go into the signed entry (§2). */
const operatorFlags = {
  operator: z.string(required('who makes this change')).pipe(OperatorName),
  reason: z.string(required('why, in words the user will see')).min(3).max(500),
};

/** A grant or a revoke: whose credits, how many, of which kind, by whom and why. */
const creditChangeFlags = {
  account: z.string(),
  amount: z.coerce.number().int().min(1).max(1e9),
  kind: CreditKind.default('image'),
  ...operatorFlags,
};

/** An ISO time (`2026-12-24` or `2026-12-24T09:00:00Z`), written back the way the ledger stores it. */
const IsoTime = z.string().transform((text, ctx) => {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not an ISO time such as 2026-12-24T09:00:00Z`,
    });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

async function accountIdOf(s: Services, who: string): Promise<string> {
  const { rows } = await s.db.query<{ id: string }>(
    'select id from accounts where id = $1 or email = $1',
    [who],
  );
  const row = rows[0];
  if (!row) throw notFound(`account ${who}`);
  return row.id;
}

async function allEntries(s: Services, accountId: string) {
  const { rows } = await s.db.query<{ seq: number; hash: string; body: string }>(
    'select seq, hash, body from entries where account_id = $1 order by seq',
    [accountId],
  );
  return rows;
}

const csvCell = (v: unknown): string => {
  const text = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function amountOf(b: EntryBody): number | string {
  switch (b.type) {
    case 'grant':
      return b.bucket.amount;
    case 'purchase':
      return b.buckets.reduce((t, x) => t + x.amount, 0);
    case 'rejection':
    case 'adjust-expiry':
    case 'budget':
      return '';
    default:
      return b.amount;
  }
}

export type Command = (s: Services, args: string[]) => Promise<string>;

/** The operator commands of `npm run admin -- <command>`. */
export const commands: Record<string, { usage: string; run: Command }> = {
  'create-account': {
    usage: 'create-account --email <email> --password <password>',
    run: async (s, args) => {
      const f = flags(args, z.object({ email: Email, password: Password }));
      const session = await s.auth.signUp(f.email, f.password);
      return `created account ${session.accountId} (${session.email})`;
    },
  },
  grant: {
    usage:
      'grant --account <id|email> --amount <n> --operator <name> --reason <text> [--source promo|adjustment|plan|signup] [--priority <0-1000>] [--starts-at <ISO time>] [--expires-days <n>] [--kind image]',
    run: async (s, args) => {
      const f = flags(
        args,
        z.object({
          ...creditChangeFlags,
          source: BucketSource.default('adjustment'),
          priority: z.coerce.number().int().min(0).max(1000).optional(),
          'starts-at': IsoTime.optional(),
          'expires-days': z.coerce.number().int().min(1).max(3650).optional(),
        }),
      );
      const accountId = await accountIdOf(s, f.account);
      const days = f['expires-days'];
      const startsAt = f['starts-at'] ?? null;
      const r = await s.ledger.grant(accountId, {
        operationId: `admin:${randomUUID()}`,
        amount: f.amount,
        reason: f.reason,
        operator: f.operator,
        source: f.source,
        kind: f.kind,
        ...(f.priority === undefined ? {} : { priority: f.priority }),
        startsAt,
        // The days count from the start, so a future grant lasts as long as one made now.
        expiresAt: days ? plusMs(startsAt ?? s.clock.now(), days * DAY) : null,
      });
      return `granted ${f.amount} to ${accountId}: entry ${r.body.seq}, bucket ${r.body.bucketId}${startsAt ? `, spendable from ${startsAt}` : ''}`;
    },
  },
  revoke: {
    usage:
      'revoke --account <id|email> --amount <n> --operator <name> --reason <text> [--kind image]',
    run: async (s, args) => {
      const f = flags(args, z.object(creditChangeFlags));
      const accountId = await accountIdOf(s, f.account);
      const r = await s.ledger.revoke(accountId, {
        operationId: `admin:${randomUUID()}`,
        amount: f.amount,
        reason: f.reason,
        operator: f.operator,
        kind: f.kind,
      });
      return `revoked ${f.amount} from ${accountId}: entry ${r.body.seq}`;
    },
  },
  'adjust-expiry': {
    usage:
      'adjust-expiry --bucket <id> --expires-at <ISO time|never> --operator <name> --reason <text> [--account <id|email>]',
    run: async (s, args) => {
      const f = flags(
        args,
        z.object({
          bucket: Id,
          'expires-at': z.literal('never').or(IsoTime),
          ...operatorFlags,
          account: z.string().optional(),
        }),
      );
      const bucketId = f.bucket;
      const accountId = f.account
        ? await accountIdOf(s, f.account)
        : await accountOfBucket(s.db, bucketId);
      const expiresAt = f['expires-at'] === 'never' ? null : f['expires-at'];
      const r = await adjustExpiry(s.ledger, accountId, {
        operationId: `admin:${randomUUID()}`,
        bucketId,
        expiresAt,
        operator: f.operator,
        reason: f.reason,
      });
      return `bucket ${bucketId} of ${accountId} now expires ${expiresAt ?? 'never'} (was ${r.body.previousExpiresAt ?? 'never'}): entry ${r.body.seq}`;
    },
  },
  buckets: {
    usage: 'buckets --account <id|email>',
    run: async (s, args) => {
      const f = flags(args, z.object({ account: z.string() }));
      const accountId = await accountIdOf(s, f.account);
      const lines = ['bucket,kind,source,remaining,held,priority,starts,expires,live'];
      for (const b of await bucketsOf(s.ledger, accountId))
        lines.push(
          [
            b.bucketId,
            b.kind,
            b.source,
            b.remaining,
            b.held,
            b.priority,
            b.effectiveAt,
            b.expiresAt ?? 'never',
            b.live,
          ]
            .map(csvCell)
            .join(','),
        );
      return lines.join('\n');
    },
  },
  'create-promo': {
    usage:
      'create-promo --code <CODE> --credits <n> --max-redemptions <n> --operator <name> [--kind image] [--redeem-by <ISO time>] [--valid-days <n>]',
    run: async (s, args) => {
      const f = flags(
        args,
        z.object({
          code: z.string(),
          credits: z.coerce.number(),
          'max-redemptions': z.coerce.number(),
          operator: z.string(),
          kind: z.string().optional(),
          'redeem-by': z.string().optional(),
          'valid-days': z.coerce.number().optional(),
        }),
      );
      const parsed = NewPromoCode.safeParse({
        code: f.code,
        credits: f.credits,
        kind: f.kind,
        redeemBy: f['redeem-by'] ?? null,
        maxRedemptions: f['max-redemptions'],
        validDays: f['valid-days'] ?? null,
        operator: f.operator,
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'}`);
      }
      const promo = parsed.data;
      await s.promos.create(promo, s.clock.now());
      return `created promo code ${promo.code}: ${promo.credits} ${promo.kind} credits, at most ${promo.maxRedemptions} redemptions, once per account${promo.redeemBy ? `, until ${promo.redeemBy}` : ''}${promo.validDays ? `, credits valid ${promo.validDays} days` : ''} (by ${promo.operator})`;
    },
  },
  'publish-price-book': {
    usage: 'publish-price-book --file <price-book.json>',
    run: async (s, args) => {
      const f = flags(args, z.object({ file: z.string() }));
      const signed = await s.catalog.publishPriceBook(
        JSON.parse(readFileSync(f.file, 'utf8')) as unknown,
      );
      return `published price book version ${signed.book.version}, signed with key ${signed.keyId}`;
    },
  },
  'add-design': {
    usage:
      'add-design --id <id> --title <title> --price-cents <n> --file <path> [--preview <svg path>] [--description <text>]',
    run: async (s, args) => {
      const f = flags(
        args,
        z.object({
          id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
          title: z.string().min(1).max(120),
          'price-cents': z.coerce.number().int().min(0).max(1e8),
          file: z.string(),
          preview: z.string().optional(),
          description: z.string().max(2000).default(''),
        }),
      );
      const file = readFileSync(f.file);
      const path = f.file;
      const mime = path.endsWith('.svg')
        ? 'image/svg+xml'
        : path.endsWith('.png')
          ? 'image/png'
          : path.endsWith('.jpg') || path.endsWith('.jpeg')
            ? 'image/jpeg'
            : 'application/octet-stream';
      const preview = f.preview
        ? readFileSync(f.preview, 'utf8')
        : mime === 'image/svg+xml'
          ? file.toString('utf8')
          : '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>';
      await s.catalog.addDesign({
        designId: f.id,
        title: f.title,
        description: f.description,
        priceCents: f['price-cents'],
        previewSvg: preview,
        file,
        fileMime: mime,
      });
      return `added design ${f.id}`;
    },
  },
  verify: {
    usage: 'verify --account <id|email>',
    run: async (s, args) => {
      const f = flags(args, z.object({ account: z.string() }));
      const accountId = await accountIdOf(s, f.account);
      const pulled = await s.sync.pull(accountId, 0, 1);
      const rows = await allEntries(s, accountId);
      const last = rows.at(-1);
      const head: SignedCheckpoint = last
        ? (await s.sync.pull(accountId, last.seq - 1, 1)).checkpoint
        : pulled.checkpoint;
      const verdict = verifyChain(rows, head, s.keys.published, {
        accountId,
        digest: nodeChainDigest,
      });
      if (!verdict.ok)
        return `FAILED at entry ${verdict.seq ?? '?'}: ${verdict.reason}: ${verdict.message}`;
      const fold = new WalletFold();
      for (const r of rows) fold.apply(parseEntry(r).data);
      const balances = fold.view(s.clock.now()).balances;
      return `ok: ${rows.length} entries, head ${verdict.head.hash.slice(0, 16)}…, every ledger rule holds; balances ${JSON.stringify(Object.fromEntries(Object.entries(balances).map(([k, b]) => [k, b.balance])))}`;
    },
  },
  reconcile: {
    usage: 'reconcile --since <date>',
    run: async (s, args) => {
      const f = flags(
        args,
        z.object({ since: z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'a date such as 2026-11-01') }),
      );
      const purchases = createPurchases(s, purchasesConfigFromEnv(process.env));
      return formatReconcileReport(await reconcile(purchases, f.since));
    },
  },
  export: {
    usage: 'export --account <id|email> [--format csv|json]',
    run: async (s, args) => {
      const f = flags(
        args,
        z.object({ account: z.string(), format: z.enum(['csv', 'json']).default('csv') }),
      );
      const accountId = await accountIdOf(s, f.account);
      const rows = await allEntries(s, accountId);
      if (f.format === 'json')
        return JSON.stringify(
          rows.map((r) => ({ seq: r.seq, hash: r.hash, body: JSON.parse(r.body) as unknown })),
          null,
          2,
        );
      const lines = ['seq,at,type,operation_id,kind,amount,detail,hash'];
      for (const r of rows) {
        const b = parseEntry(r).data;
        const kind = 'kind' in b ? b.kind : b.type === 'grant' ? b.bucket.kind : '';
        lines.push(
          [r.seq, b.at, b.type, b.operationId, kind, amountOf(b), b, r.hash].map(csvCell).join(','),
        );
      }
      return lines.join('\n');
    },
  },
};
