import type { WalletState } from '../../shared/wallet/types';
import { notFound } from '../http/errors';
import type { WritePaths } from './write-paths';

/** Reads the wallet now (after catching up with other instances' writes). */
export async function readWallet(paths: WritePaths, accountId: string): Promise<WalletState> {
  return paths.locks.run(accountId, async () => {
    const { rows } = await paths.db.query<{
      head_seq: number;
      head_hash: string;
      last_daily_date: string | null;
      last_monthly_period: string | null;
      plan: string;
    }>(
      'select head_seq, head_hash, last_daily_date, last_monthly_period, plan from accounts where id = $1',
      [accountId],
    );
    const head = rows[0];
    if (!head) throw notFound('account');
    const fold = await paths.folds.checkOut(paths.db, accountId, {
      seq: head.head_seq,
      hash: head.head_hash,
    });
    paths.folds.checkIn(accountId, fold);
    paths.heads.set(accountId, {
      seq: head.head_seq,
      hash: head.head_hash,
      lastDailyDate: head.last_daily_date,
      lastMonthlyPeriod: head.last_monthly_period,
      plan: head.plan,
    });
    const clockNow = paths.env.clock.now();
    return fold.view(clockNow > fold.lastAt ? clockNow : fold.lastAt);
  });
}
