import { type Logger, createLogger } from '../shared/log/logger';
import { AuthService, type AuthConfig, defaultAuthConfig } from './auth/auth-service';
import { CatalogService } from './catalog/catalog-service';
import type { Clock } from './clock';
import type { Database } from './db/database';
import type { SigningKeys } from './keys';
import { AllowanceService } from './ledger/allowance-service';
import { type LedgerConfig, LedgerService, defaultLedgerConfig } from './ledger/ledger-service';
import { MutationService } from './ledger/mutation-service';
import { RefundService } from './ledger/refund-service';
import { PromoService } from './ledger/promo-service';
import { SpendingLimitsService } from './ledger/spending-limits-service';
import { SyncService } from './ledger/sync-service';
import { TeamService } from './teams/team-service';
import { TeamWallet } from './teams/team-wallet';

export interface Services {
  db: Database;
  clock: Clock;
  keys: SigningKeys;
  ledger: LedgerService;
  auth: AuthService;
  sync: SyncService;
  allowances: AllowanceService;
  catalog: CatalogService;
  refunds: RefundService;
  mutations: MutationService;
  spendingLimits: SpendingLimitsService;
  promos: PromoService;
  /** Teams and their wallets (docs/architecture.md §14). */
  teams: TeamService;
  teamWallet: TeamWallet;
  /** The server's one logger (docs/architecture.md §11); parts take children by component. */
  log: Logger;
}

export function createServices(opts: {
  db: Database;
  clock: Clock;
  keys: SigningKeys;
  ledger?: Partial<LedgerConfig>;
  auth?: Partial<AuthConfig>;
  /** Defaults to JSON lines unless EASEL_LOG=off. */
  log?: Logger;
}): Services {
  const { db, clock, keys } = opts;
  const log = opts.log ?? createLogger(process.env.EASEL_LOG === 'off' ? 'off' : 'json');
  const ledger = new LedgerService(
    db,
    clock,
    { ...defaultLedgerConfig, ...opts.ledger },
    log.child({ component: 'ledger' }),
  );
  const catalog = new CatalogService(db, ledger, keys, clock);
  const refundWindowHours = async () => (await catalog.priceBook()).book.refunds?.windowHours ?? 24;
  const teamWallet = new TeamWallet(db, ledger, catalog.checkVoucherPurpose);
  return {
    db,
    clock,
    keys,
    ledger,
    catalog,
    auth: new AuthService(db, clock, ledger, { ...defaultAuthConfig, ...opts.auth }),
    sync: new SyncService(db, ledger, keys, clock),
    allowances: new AllowanceService(ledger, catalog.checkVoucherPurpose),
    refunds: new RefundService(ledger, refundWindowHours, teamWallet),
    mutations: new MutationService(db, ledger, catalog.checkVoucherPurpose, refundWindowHours),
    spendingLimits: new SpendingLimitsService(ledger),
    promos: new PromoService(db, ledger),
    teams: new TeamService(db, ledger, clock),
    teamWallet,
    log,
  };
}
