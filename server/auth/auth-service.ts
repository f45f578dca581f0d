import { randomBytes, randomUUID } from 'node:crypto';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../shared/api/common';
import type { SignUpOffer } from '../../shared/api/auth';
import { GENESIS_HASH } from '../../shared/ledger/primitives';
import { type Clock, DAY, MINUTE, plusMs } from '../clock';
import type { Database } from '../db/database';
import { isUniqueViolation } from '../db/database';
import { HttpError, conflict, notFound } from '../http/errors';
import type { LedgerService } from '../ledger/ledger-service';
import { sha256Hex } from '../node-digest';
import { hashPassword, verifyPassword } from './passwords';

export interface AuthConfig {
  sessionTtlMs: number;
  /** Sign-ins per email from one address allowed within the window before 429. */
  signInAttempts: number;
  /** Sign-ins per email from all addresses together within the window before 429. */
  signInAttemptsPerEmail: number;
  signInWindowMs: number;
  signupBonus: { amount: number; ttlMs: number } | null;
}

export const defaultAuthConfig: AuthConfig = {
  sessionTtlMs: 30 * DAY,
  signInAttempts: 5,
  signInAttemptsPerEmail: 100,
  signInWindowMs: 15 * MINUTE,
  signupBonus: { amount: 50, ttlMs: 30 * DAY },
};

export interface Session {
  accountId: string;
  email: string;
  token: string;
  expiresAt: string;
}

const unauthorized = (message = 'sign in again: the session is missing, expired or revoked') =>
  new HttpError(401, 'unauthorized', message);

/**
 * Accounts, sessions and devices. Tokens are random and stored only as their SHA-256.
 * Validated sessions are remembered for a few seconds to save a query per request; sign-out
 * on this instance forgets at once, a revocation on another instance takes effect within
 * SESSION_CACHE_MS.
 */
const SESSION_CACHE_MS = 5_000;

export class AuthService {
  private readonly sessionCache = new Map<
    string,
    { accountId: string; expiresAt: string; checkedAt: number }
  >();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly ledger: LedgerService,
    private readonly config: AuthConfig = defaultAuthConfig,
  ) {}

  /** What sign-up grants, from the same config that grants it (GET /v1/auth/offer). */
  offer(): SignUpOffer {
    const bonus = this.config.signupBonus;
    const monthly = this.ledger.config.monthlyCreditsByPlan.free;
    return {
      welcome: bonus
        ? { credits: bonus.amount, expiresInDays: Math.max(1, Math.round(bonus.ttlMs / DAY)) }
        : null,
      dailyCredits: this.ledger.config.dailyCreditsByPlan.free ?? 0,
      password: { minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX },
      ...(monthly && monthly.credits > 0
        ? { monthly: { credits: monthly.credits, expiresInDays: monthly.expiresAfterDays } }
        : {}),
    };
  }

  async signUp(email: string, password: string): Promise<Session> {
    const accountId = `acct_${randomUUID()}`;
    const passwordHash = await hashPassword(password);
    try {
      await this.db.query(
        'insert into accounts (id, email, password_hash, created_at, head_hash) values ($1, $2, $3, $4, $5)',
        [accountId, email, passwordHash, this.clock.now(), GENESIS_HASH],
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw conflict('email-taken', 'an account with this email already exists');
      throw error;
    }
    const bonus = this.config.signupBonus;
    if (bonus) {
      await this.ledger.grant(accountId, {
        operationId: 'signup:bonus',
        amount: bonus.amount,
        source: 'signup',
        reason: 'welcome to Easel',
        expiresAt: plusMs(this.clock.now(), bonus.ttlMs),
      });
    } else {
      await this.ledger.touch(accountId);
    }
    return this.newSession(accountId, email);
  }

  /**
   * Signs in. The attempt is recorded before it is judged, so parallel guesses all count
   * (each one sees at least the attempts stored before its own); a success removes its own
   * record. Limits: per email from one address (a guesser locks out only themselves), and per
   * email from everywhere (a looser cap on distributed guessing). The per-address request
   * limit is @fastify/rate-limit on the route (server/http/app.ts).
   */
  async signIn(email: string, password: string, address = 'unknown'): Promise<Session> {
    const now = this.clock.now();
    const since = plusMs(now, -this.config.signInWindowMs);
    const attemptId = `try_${randomUUID()}`;
    await this.db.query('delete from signin_attempts where at <= $1', [since]);
    await this.db.query(
      'insert into signin_attempts (id, email, address, at) values ($1, $2, $3, $4)',
      [attemptId, email, address, now],
    );
    const { rows: counts } = await this.db.query<{ mine: string | number; all: string | number }>(
      `select count(*) filter (where address = $3) as mine, count(*) as all
         from signin_attempts where email = $1 and at > $2`,
      [email, since, address],
    );
    if (
      Number(counts[0]?.mine ?? 0) > this.config.signInAttempts ||
      Number(counts[0]?.all ?? 0) > this.config.signInAttemptsPerEmail
    ) {
      throw new HttpError(
        429,
        'too-many-attempts',
        'too many sign-ins for this email; try again in a few minutes',
      );
    }
    const { rows } = await this.db.query<{ id: string; password_hash: string }>(
      'select id, password_hash from accounts where email = $1',
      [email],
    );
    const account = rows[0];
    // Hash even for unknown emails so timing does not reveal which emails exist.
    const ok = await verifyPassword(
      password,
      account?.password_hash ??
        'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    );
    if (!account || !ok) throw unauthorized('wrong email or password');
    await this.db.query('delete from signin_attempts where id = $1', [attemptId]);
    return this.newSession(account.id, email);
  }

  private async newSession(accountId: string, email: string): Promise<Session> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = plusMs(now, this.config.sessionTtlMs);
    await this.db.query(
      'insert into sessions (token_hash, account_id, created_at, expires_at) values ($1, $2, $3, $4)',
      [sha256Hex(token), accountId, now, expiresAt],
    );
    return { accountId, email, token, expiresAt };
  }

  /** The account a bearer token belongs to, or 401. */
  async authenticate(
    authorization: string | undefined,
  ): Promise<{ accountId: string; tokenHash: string }> {
    const match = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(authorization ?? '');
    if (!match?.[1]) throw unauthorized();
    const tokenHash = sha256Hex(match[1]);
    const cached = this.sessionCache.get(tokenHash);
    if (
      cached &&
      Date.now() - cached.checkedAt < SESSION_CACHE_MS &&
      cached.expiresAt > this.clock.now()
    ) {
      return { accountId: cached.accountId, tokenHash };
    }
    const { rows } = await this.db.query<{
      account_id: string;
      expires_at: string;
      revoked_at: string | null;
    }>('select account_id, expires_at, revoked_at from sessions where token_hash = $1', [
      tokenHash,
    ]);
    const s = rows[0];
    if (!s || s.revoked_at !== null || s.expires_at <= this.clock.now()) {
      this.sessionCache.delete(tokenHash);
      throw unauthorized();
    }
    if (this.sessionCache.size > 10_000) this.sessionCache.clear();
    this.sessionCache.set(tokenHash, {
      accountId: s.account_id,
      expiresAt: s.expires_at,
      checkedAt: Date.now(),
    });
    return { accountId: s.account_id, tokenHash };
  }

  async signOut(tokenHash: string): Promise<void> {
    this.sessionCache.delete(tokenHash);
    await this.db.query(
      'update sessions set revoked_at = $2 where token_hash = $1 and revoked_at is null',
      [tokenHash, this.clock.now()],
    );
  }

  async registerDevice(accountId: string, name: string, publicKey: string) {
    const deviceId = `dev_${randomUUID()}`;
    const createdAt = this.clock.now();
    await this.db.query(
      'insert into devices (id, account_id, name, public_key, created_at) values ($1, $2, $3, $4, $5)',
      [deviceId, accountId, name, publicKey, createdAt],
    );
    return { deviceId, name, publicKey, createdAt, lastMutationSeq: 0 };
  }

  /**
   * Replaces a device's public key. Allowances already reserved keep the key they were taken
   * with (the reserve entry records it), so vouchers signed before the change still settle;
   * new allowances are bound to the new key.
   */
  async rotateDeviceKey(accountId: string, deviceId: string, publicKey: string) {
    const { rows } = await this.db.query<{ id: string }>(
      'update devices set public_key = $3 where id = $1 and account_id = $2 returning id',
      [deviceId, accountId, publicKey],
    );
    if (rows.length === 0) throw notFound('device');
    return this.device(accountId, deviceId);
  }

  async device(accountId: string, deviceId: string) {
    const { rows } = await this.db.query<{
      id: string;
      name: string;
      public_key: string;
      created_at: string;
      last_mutation_seq: number;
    }>(
      'select id, name, public_key, created_at, last_mutation_seq from devices where id = $1 and account_id = $2',
      [deviceId, accountId],
    );
    const d = rows[0];
    if (!d) throw notFound('device');
    return {
      deviceId: d.id,
      name: d.name,
      publicKey: d.public_key,
      createdAt: d.created_at,
      lastMutationSeq: d.last_mutation_seq,
    };
  }

  async account(accountId: string) {
    const { rows } = await this.db.query<{ email: string; plan: string }>(
      'select email, plan from accounts where id = $1',
      [accountId],
    );
    const a = rows[0];
    if (!a) throw notFound('account');
    const { rows: devices } = await this.db.query<{ id: string }>(
      'select id from devices where account_id = $1 order by created_at',
      [accountId],
    );
    return {
      accountId,
      email: a.email,
      plan: a.plan,
      planRenewsAt: a.plan === 'free' ? null : await this.planRenewsAt(accountId, a.plan),
      devices: await Promise.all(devices.map((d) => this.device(accountId, d.id))),
    };
  }

  /**
   * A paid plan renews a month after its latest paid month (docs/architecture.md §7): each paid
   * month is a fulfilment of the active subscription's checkout. Null if none is on record.
   */
  private async planRenewsAt(accountId: string, plan: string): Promise<string | null> {
    // The period end the provider reported wins; an upgrade's purchase is not a paid month.
    const { rows } = await this.db.query<{ last: string | null; period_end: string | null }>(
      `select max(f.credited_at) as last, max(s.current_period_end) as period_end
       from purchase_fulfilments f
       join purchase_subscriptions s on s.checkout_id = f.checkout_id
       where s.account_id = $1 and s.plan_id = $2 and s.status = 'active'
         and f.purchase_id not like '%:upgrade'`,
      [accountId, plan],
    );
    const last = rows[0]?.last;
    if (rows[0]?.period_end) return rows[0].period_end;
    if (!last) return null;
    const at = new Date(last);
    at.setUTCMonth(at.getUTCMonth() + 1);
    return at.toISOString();
  }
}
