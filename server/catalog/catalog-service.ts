import { enforceSpendingLimits } from '../ledger/spending-limits';
import type { Purpose, Voucher } from '../../shared/ledger/entry';
import { excerpt } from '../../shared/ledger/summary';
import type { PublicKeyInfo } from '../../shared/ledger/checkpoint';
import { PriceBook } from '../../shared/pricing/book';
import { defaultPriceBook } from '../../shared/pricing/fixtures/default';
import { quote } from '../../shared/pricing/quote';
import { SignedPriceBook, signPriceBook } from '../../shared/pricing/signed';
import type { Clock } from '../clock';
import type { Database, Sql } from '../db/database';
import { MIGRATION_LOCK } from '../db/migrations';
import { HttpError, conflict, notFound } from '../http/errors';
import type { SigningKeys } from '../keys';
import type { WriteContext } from '../ledger/ledger-service';
import { type LedgerService, allocateOr402, throwIt } from '../ledger/ledger-service';
import { planCapture } from '../../shared/wallet/plan';
import { type TeamWallet, appendTeamHold } from '../teams/team-wallet';
import { demoDesigns } from './demo-designs';

interface DesignRow {
  id: string;
  title: string;
  description: string;
  price_cents: number;
  preview_svg: string;
}

/** The signed price book and the design catalog: what things cost, and redeeming designs. */
/**
 * Before a design is redeemed, in the write: the quote the buyer saw is still the price (else
 * 409 `quote-changed`, nothing charged), and the owner-to-be does not own it yet.
 */
async function checkRedeemable(
  tx: Sql,
  ownerId: string,
  designId: string,
  seen: { priceBookVersion: number; expectedCredits: number },
  fresh: ReturnType<typeof quote>,
): Promise<void> {
  if (seen.priceBookVersion !== fresh.priceBookVersion || seen.expectedCredits !== fresh.credits)
    throw conflict(
      'quote-changed',
      `the price is now ${fresh.credits} credits (price book ${fresh.priceBookVersion}); nothing was charged`,
      fresh,
    );
  const { rows } = await tx.query(
    'select 1 from entitlements where account_id = $1 and design_id = $2',
    [ownerId, designId],
  );
  if (rows.length > 0) throw conflict('already-owned', 'you already own this design');
}

export class CatalogService {
  private cachedBook: SignedPriceBook | null = null;

  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
  ) {}

  publicKeys(): PublicKeyInfo[] {
    return this.keys.published;
  }

  /** Seeds the default price book and the demo designs on an empty database. */
  /**
   * Publishes the default price book and the demo designs into an empty database. Under the
   * migrations' lock, in one transaction: several instances starting together on one empty
   * PostgreSQL seed exactly once, and none of them fails (docs/architecture.md §9).
   */
  async seed(): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (this.db.kind === 'postgres')
        await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const { rows } = await tx.query<{ n: number }>('select count(*)::int as n from price_books');
      if ((rows[0]?.n ?? 0) === 0) await this.publishPriceBook(defaultPriceBook, tx);
      const { rows: d } = await tx.query<{ n: number }>('select count(*)::int as n from designs');
      if ((d[0]?.n ?? 0) === 0) {
        for (const design of demoDesigns) {
          await this.addDesign(
            {
              ...design,
              previewSvg: design.svg,
              file: Buffer.from(design.svg),
              fileMime: 'image/svg+xml',
            },
            tx,
          );
        }
      }
    });
  }

  async priceBook(sql: Sql = this.db): Promise<SignedPriceBook> {
    const { rows } = await sql.query<{ version: number; signed: string }>(
      'select version, signed from price_books order by version desc limit 1',
    );
    const row = rows[0];
    if (!row) throw new HttpError(503, 'no-price-book', 'no price book has been published');
    if (this.cachedBook?.book.version !== row.version)
      this.cachedBook = SignedPriceBook.parse(JSON.parse(row.signed));
    return this.cachedBook;
  }

  async publishPriceBook(input: unknown, sql: Sql = this.db): Promise<SignedPriceBook> {
    const book = PriceBook.parse(input);
    const { rows } = await sql.query<{ v: number | null }>(
      'select max(version) as v from price_books',
    );
    const current = rows[0]?.v ?? 0;
    if (book.version <= current)
      throw conflict('stale-version', `price book version must be above ${current}`);
    const signed = signPriceBook(book, this.keys.active);
    await sql.query('insert into price_books (version, signed, published_at) values ($1, $2, $3)', [
      book.version,
      JSON.stringify(signed),
      this.clock.now(),
    ]);
    return signed;
  }

  async addDesign(
    d: {
      designId: string;
      title: string;
      description: string;
      priceCents: number;
      previewSvg: string;
      file: Buffer;
      fileMime: string;
    },
    sql: Sql = this.db,
  ) {
    await sql
      .query(
        'insert into designs (id, title, description, price_cents, preview_svg, file, file_mime, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)',
        [
          d.designId,
          d.title,
          d.description,
          d.priceCents,
          d.previewSvg,
          d.file,
          d.fileMime,
          this.clock.now(),
        ],
      )
      .catch((error: unknown) => {
        if (
          typeof error === 'object' &&
          error !== null &&
          (error as { code?: string }).code === '23505'
        )
          throw conflict('design-exists', `design ${d.designId} already exists`);
        throw error;
      });
  }

  async designs(accountId: string) {
    const { book } = await this.priceBook();
    const { rows } = await this.db.query<DesignRow & { owned: boolean }>(
      `select d.id, d.title, d.description, d.price_cents, d.preview_svg, (e.design_id is not null) as owned
         from designs d left join entitlements e on e.design_id = d.id and e.account_id = $1 order by d.created_at, d.id`,
      [accountId],
    );
    return rows.map((r) => ({
      designId: r.id,
      title: r.title,
      description: r.description,
      priceCents: r.price_cents,
      credits: quote(book, { tool: 'design', designId: r.id, priceCents: r.price_cents }).credits,
      previewSvg: r.preview_svg,
      owned: Boolean(r.owned),
    }));
  }

  private async design(designId: string, sql = this.db): Promise<DesignRow> {
    const { rows } = await sql.query<DesignRow>(
      'select id, title, description, price_cents, preview_svg from designs where id = $1',
      [designId],
    );
    return rows[0] ?? throwIt(notFound('design'));
  }

  /** Spends the quoted credits and issues the entitlement, in one transaction. */
  async redeem(
    accountId: string,
    designId: string,
    req: { operationId: string; expectedCredits: number; priceBookVersion: number },
  ) {
    const design = await this.design(designId);
    const { book } = await this.priceBook();
    const fresh = quote(book, { tool: 'design', designId, priceCents: design.price_cents });
    return this.ledger.write(
      accountId,
      { operationId: req.operationId, request: { op: 'redeem', designId, ...req } },
      async (ctx) => {
        await checkRedeemable(ctx.tx, accountId, designId, req, fresh);
        let seq = ctx.fold.lastSeq;
        if (fresh.credits > 0) {
          const splits = allocateOr402(ctx.state(), book.currency, fresh.credits);
          await enforceSpendingLimits(ctx, fresh.credits);
          seq = ctx.append({
            type: 'spend',
            operationId: req.operationId,
            kind: book.currency,
            amount: fresh.credits,
            splits,
            // The title travels in the signed entry, for History (docs/architecture.md §2).
            purpose: designPurpose(designId, design.title),
          }).seq;
        }
        await ctx.tx.query(
          'insert into entitlements (account_id, design_id, seq, created_at) values ($1, $2, $3, $4)',
          [accountId, designId, seq, ctx.now],
        );
        return { status: 201, body: { designId, seq, credits: fresh.credits } };
      },
    );
  }

  /**
   * Redeems a design online from a team wallet (docs/architecture.md §14): like a team run, a
   * hold and its capture in one team write, tagged with the member and the project and within
   * their monthly budgets (403 `team-budget`, nothing written); the design goes to the member.
   * Offline, the team allowance pays instead (§5).
   */
  async redeemForTeam(
    teamWallet: TeamWallet,
    teamId: string,
    memberId: string,
    designId: string,
    req: {
      operationId: string;
      expectedCredits: number;
      priceBookVersion: number;
      projectId: string | null;
    },
  ) {
    const design = await this.design(designId);
    const { book } = await this.priceBook();
    const fresh = quote(book, { tool: 'design', designId, priceCents: design.price_cents });
    return teamWallet.write(
      teamId,
      memberId,
      { operationId: req.operationId, request: { op: 'team-redeem', designId, ...req } },
      async (ctx) => {
        await checkRedeemable(ctx.tx, memberId, designId, req, fresh);
        let seq = ctx.fold.lastSeq;
        if (fresh.credits > 0) {
          const held = await appendTeamHold(
            ctx,
            memberId,
            {
              operationId: req.operationId,
              kind: book.currency,
              amount: fresh.credits,
              purpose: designPurpose(designId, design.title),
              projectId: req.projectId,
            },
            this.ledger.config.holdTtlMs,
          );
          const hold = ctx.fold.hold(held.holdId) ?? throwIt(notFound('hold'));
          seq = ctx.append({
            type: 'capture',
            operationId: `${req.operationId}:capture`.slice(0, 128),
            holdId: held.holdId,
            amount: fresh.credits,
            splits: planCapture(hold, fresh.credits),
            team: { memberId, projectId: req.projectId },
          }).seq;
          ctx.clearTimer(held.holdId);
          await ctx.book.close(held.holdId, fresh.credits);
        }
        await ctx.tx.query(
          'insert into entitlements (account_id, design_id, seq, created_at) values ($1, $2, $3, $4)',
          [memberId, designId, seq, ctx.now],
        );
        return { status: 201, body: { designId, seq, credits: fresh.credits } };
      },
    );
  }

  /** A design's file, only for an account that owns it. */
  async file(accountId: string, designId: string): Promise<{ bytes: Buffer; mime: string }> {
    await this.design(designId);
    const { rows } = await this.db.query<{ file: Uint8Array; file_mime: string }>(
      'select d.file, d.file_mime from designs d join entitlements e on e.design_id = d.id where d.id = $1 and e.account_id = $2',
      [designId, accountId],
    );
    const row = rows[0];
    if (!row) throw new HttpError(403, 'not-entitled', 'redeem this design before downloading it');
    return { bytes: Buffer.from(row.file), mime: row.file_mime };
  }

  /** For offline vouchers: the design must exist and the voucher must pay its current price. */
  readonly checkVoucherPurpose = async (
    ctx: WriteContext,
    voucher: Voucher,
  ): Promise<string | null> => {
    if (voucher.purpose.kind !== 'design')
      return `vouchers can pay for designs only, not ${voucher.purpose.kind}`;
    const { rows } = await ctx.tx.query<{ price_cents: number }>(
      'select price_cents from designs where id = $1',
      [voucher.purpose.designId],
    );
    const design = rows[0];
    if (!design) return `design ${voucher.purpose.designId} does not exist`;
    const { book } = await this.priceBook(ctx.tx);
    const price = quote(book, {
      tool: 'design',
      designId: voucher.purpose.designId,
      priceCents: design.price_cents,
    }).credits;
    if (voucher.amount < price)
      return `design ${voucher.purpose.designId} costs ${price} credits, the voucher pays ${voucher.amount}`;
    return null;
  };
}

/** A design spend's purpose, with the design's title when it has one. */
function designPurpose(designId: string, title: string): Purpose {
  const words = excerpt(title, 120);
  return words ? { kind: 'design', designId, title: words } : { kind: 'design', designId };
}
