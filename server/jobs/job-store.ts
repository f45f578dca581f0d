/**
 * Row-level access to the jobs tables (uploads, jobs, job_outputs). Every function takes the
 * SQL handle to use: inside a ledger write that is the write's transaction.
 */
import type { ImageFormat, JobState, JobTool } from '../../shared/api/jobs';
import type { Sql } from '../db/database';

export interface JobRow {
  n: number;
  id: string;
  account_id: string;
  operation_id: string;
  request_hash: string;
  tool: JobTool;
  params: string;
  quote_request: string;
  credits: number;
  price_book_version: number;
  refund_credits: number | null;
  provider_id: string | null;
  provider_label: string | null;
  hold_id: string | null;
  hold_expires_at: string | null;
  state: JobState;
  progress: number;
  charged: number | null;
  error_code: string | null;
  error_message: string | null;
  notice: string | null;
  runner_id: string | null;
  heartbeat_at: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** A team run (docs/architecture.md §14): its team and project; null for a personal run. */
  team_id: string | null;
  project_id: string | null;
  /** The account whose ledger holds the job's hold: the team's; null means `account_id`. */
  wallet_account_id: string | null;
}

/** The account whose ledger holds a job's hold and its capture or release. */
export const walletOf = (job: Pick<JobRow, 'account_id' | 'wallet_account_id'>): string =>
  job.wallet_account_id ?? job.account_id;

/** Teams `accountId` is a current member of (SQL, `$1` = the account). */
const memberTeams = 'select team_id from team_members where account_id = $1 and removed_at is null';

export interface OutputRow {
  job_id: string;
  idx: number;
  role: 'image' | 'mask';
  account_id: string;
  sha256: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
  item_id: string | null;
  refund_credits: number | null;
}

export interface UploadRow {
  id: string;
  account_id: string;
  sha256: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
  created_at: string;
}

export type NewJob = Omit<
  JobRow,
  | 'n'
  | 'progress'
  | 'charged'
  | 'error_code'
  | 'error_message'
  | 'notice'
  | 'heartbeat_at'
  | 'started_at'
  | 'finished_at'
  | 'updated_at'
>;

/** Fields a state change may set. */
export interface JobChange {
  state: JobState;
  progress?: number;
  charged?: number;
  error?: { code: string; message: string };
  notice?: string;
  finished?: boolean;
}

/** States in which a job is still the engine's business. */
export const activeStates: readonly JobState[] = ['queued', 'running'];

export const jobStore = {
  async insertJob(tx: Sql, job: NewJob): Promise<void> {
    await tx.query(
      `insert into jobs (id, account_id, operation_id, request_hash, tool, params, quote_request, credits,
         price_book_version, refund_credits, provider_id, provider_label, hold_id, hold_expires_at, state,
         runner_id, created_at, updated_at, team_id, project_id, wallet_account_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19, $20)`,
      [
        job.id,
        job.account_id,
        job.operation_id,
        job.request_hash,
        job.tool,
        job.params,
        job.quote_request,
        job.credits,
        job.price_book_version,
        job.refund_credits,
        job.provider_id,
        job.provider_label,
        job.hold_id,
        job.hold_expires_at,
        job.state,
        job.runner_id,
        job.created_at,
        job.team_id,
        job.project_id,
        job.wallet_account_id,
      ],
    );
  },

  async find(sql: Sql, jobId: string): Promise<JobRow | null> {
    const { rows } = await sql.query<JobRow>('select * from jobs where id = $1', [jobId]);
    return rows[0] ?? null;
  },

  /** The job, locked until the transaction ends (state changes serialise on it). */
  async lock(tx: Sql, jobId: string): Promise<JobRow | null> {
    const { rows } = await tx.query<JobRow>('select * from jobs where id = $1 for update', [jobId]);
    return rows[0] ?? null;
  },

  /** The account's personal runs, newest first (its team runs are the team's: `listTeam`). */
  async list(
    sql: Sql,
    accountId: string,
    limit: number,
    before: string | undefined,
  ): Promise<JobRow[]> {
    const { rows } = before
      ? await sql.query<JobRow>(
          `select * from jobs where account_id = $1 and team_id is null
             and n < (select n from jobs where id = $2 and account_id = $1)
           order by n desc limit $3`,
          [accountId, before, limit],
        )
      : await sql.query<JobRow>(
          'select * from jobs where account_id = $1 and team_id is null order by n desc limit $2',
          [accountId, limit],
        );
    return rows;
  },

  /** A team's runs by all its members, newest first (the caller's membership is checked first). */
  async listTeam(
    sql: Sql,
    teamId: string,
    limit: number,
    before: string | undefined,
  ): Promise<JobRow[]> {
    const { rows } = before
      ? await sql.query<JobRow>(
          `select * from jobs where team_id = $1
             and n < (select n from jobs where id = $2 and team_id = $1)
           order by n desc limit $3`,
          [teamId, before, limit],
        )
      : await sql.query<JobRow>('select * from jobs where team_id = $1 order by n desc limit $2', [
          teamId,
          limit,
        ]);
    return rows;
  },

  /** Whether `accountId` is a current member of the team (a removed member is not). */
  async isMember(sql: Sql, teamId: string, accountId: string): Promise<boolean> {
    const { rows } = await sql.query<{ team_id: string }>(`${memberTeams} and team_id = $2`, [
      accountId,
      teamId,
    ]);
    return rows.length > 0;
  },

  async outputs(sql: Sql, jobIds: readonly string[]): Promise<Map<string, OutputRow[]>> {
    const byJob = new Map<string, OutputRow[]>();
    if (jobIds.length === 0) return byJob;
    // A cutout awaiting confirmation shows its marked previews in place of its outputs
    // (docs/architecture.md §8): the full files are the product, served after the capture.
    const { rows } = await sql.query<OutputRow>(
      `select o.job_id, o.idx, o.role, o.account_id, o.sha256, o.format, o.width, o.height,
              o.bytes, o.item_id, o.refund_credits
         from job_outputs o join jobs j on j.id = o.job_id
        where o.job_id = any($1) and j.state <> 'awaiting-confirm'
       union all
       select p.job_id, p.idx, p.role, p.account_id, p.sha256, 'png', p.width, p.height,
              p.bytes, null, null
         from job_previews p join jobs j on j.id = p.job_id
        where p.job_id = any($1) and j.state = 'awaiting-confirm'
       order by job_id, idx`,
      [jobIds],
    );
    for (const row of rows) {
      const list = byJob.get(row.job_id) ?? [];
      list.push(row);
      byJob.set(row.job_id, list);
    }
    return byJob;
  },

  /** A cutout's previews (same index and role as the outputs they stand for; PNG). */
  async insertPreviews(
    tx: Sql,
    previews: ReadonlyArray<Omit<OutputRow, 'format' | 'item_id' | 'refund_credits'>>,
  ): Promise<void> {
    for (const p of previews) {
      await tx.query(
        `insert into job_previews (job_id, idx, role, account_id, sha256, width, height, bytes)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [p.job_id, p.idx, p.role, p.account_id, p.sha256, p.width, p.height, p.bytes],
      );
    }
  },

  async insertOutputs(tx: Sql, outputs: readonly OutputRow[]): Promise<void> {
    for (const o of outputs) {
      await tx.query(
        `insert into job_outputs (job_id, idx, role, account_id, sha256, format, width, height, bytes, item_id, refund_credits)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          o.job_id,
          o.idx,
          o.role,
          o.account_id,
          o.sha256,
          o.format,
          o.width,
          o.height,
          o.bytes,
          o.item_id,
          o.refund_credits,
        ],
      );
    }
  },

  async change(tx: Sql, jobId: string, change: JobChange, now: string): Promise<void> {
    await tx.query(
      `update jobs set state = $2, updated_at = $3,
         progress = coalesce($4, progress),
         charged = coalesce($5, charged),
         error_code = coalesce($6, error_code),
         error_message = coalesce($7, error_message),
         notice = coalesce($8, notice),
         finished_at = case when $9 then $3 else finished_at end
       where id = $1`,
      [
        jobId,
        change.state,
        now,
        change.progress ?? null,
        change.charged ?? null,
        change.error?.code ?? null,
        change.error?.message ?? null,
        change.notice ?? null,
        change.finished ?? false,
      ],
    );
  },

  /** queued → running; false when the job has left 'queued' meanwhile (cancelled). */
  async markRunning(sql: Sql, jobId: string, runnerId: string, now: string): Promise<boolean> {
    const { rows } = await sql.query<{ id: string }>(
      `update jobs set state = 'running', started_at = $3, updated_at = $3, heartbeat_at = $3, runner_id = $2
       where id = $1 and state = 'queued' returning id`,
      [jobId, runnerId, now],
    );
    return rows.length > 0;
  },

  async setProgress(sql: Sql, jobId: string, progress: number, now: string): Promise<void> {
    await sql.query(
      `update jobs set progress = $2, updated_at = $3 where id = $1 and state = 'running'`,
      [jobId, progress, now],
    );
  },

  /** Refreshes this instance's jobs' heartbeat; returns the state each is in now. */
  async heartbeat(
    sql: Sql,
    jobIds: readonly string[],
    now: string,
  ): Promise<Array<{ id: string; state: JobState }>> {
    if (jobIds.length === 0) return [];
    const { rows } = await sql.query<{ id: string; state: JobState }>(
      `update jobs set heartbeat_at = $2 where id = any($1) returning id, state`,
      [jobIds, now],
    );
    return rows;
  },

  /** Cutouts still awaiting confirmation whose hold has lapsed. */
  async lapsedConfirmations(
    sql: Sql,
    now: string,
  ): Promise<Array<{ id: string; account_id: string }>> {
    const { rows } = await sql.query<{ id: string; account_id: string }>(
      `select id, account_id from jobs where state = 'awaiting-confirm' and hold_expires_at <= $1 order by n limit 500`,
      [now],
    );
    return rows;
  },

  /**
   * Queued or running jobs no live instance is working on: not this instance's, and either every
   * such job (`all`, when this process is the only one) or those whose heartbeat is older than `staleBefore`.
   */
  async orphans(
    sql: Sql,
    runnerId: string,
    staleBefore: string,
    all: boolean,
  ): Promise<Array<{ id: string; account_id: string }>> {
    const { rows } = await sql.query<{ id: string; account_id: string }>(
      `select id, account_id from jobs
       where state in ('queued', 'running') and (runner_id is null or runner_id <> $1)
         and ($3 or coalesce(heartbeat_at, created_at) <= $2)
       order by n limit 500`,
      [runnerId, staleBefore, all],
    );
    return rows;
  },

  async ownActive(sql: Sql, runnerId: string): Promise<Array<{ id: string }>> {
    const { rows } = await sql.query<{ id: string }>(
      `select id from jobs where runner_id = $1 and state in ('queued', 'running') order by n limit 500`,
      [runnerId],
    );
    return rows;
  },

  // ---- uploads ----------------------------------------------------------------------------

  /** Records an upload; the same bytes uploaded again by the same account give the first record. */
  async upload(sql: Sql, upload: UploadRow): Promise<UploadRow> {
    await sql.query(
      `insert into uploads (id, account_id, sha256, format, width, height, bytes, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (account_id, sha256) do nothing`,
      [
        upload.id,
        upload.account_id,
        upload.sha256,
        upload.format,
        upload.width,
        upload.height,
        upload.bytes,
        upload.created_at,
      ],
    );
    const { rows } = await sql.query<UploadRow>(
      'select * from uploads where account_id = $1 and sha256 = $2',
      [upload.account_id, upload.sha256],
    );
    return rows[0] ?? upload;
  },

  async findUpload(sql: Sql, accountId: string, uploadId: string): Promise<UploadRow | null> {
    const { rows } = await sql.query<UploadRow>(
      'select * from uploads where id = $1 and account_id = $2',
      [uploadId, accountId],
    );
    return rows[0] ?? null;
  },

  /**
   * The format of a file the account may read: one it uploaded; an output of its personal job
   * that succeeded or was confirmed (a cutout's full result only after its capture), or a
   * cutout's preview while it awaits confirmation; the same of a team run, and a team run's
   * input, while the account is a member of that team (docs/architecture.md §14: a member who
   * leaves loses them, their own team runs included). Null for anyone else.
   */
  async readableFormat(sql: Sql, accountId: string, sha256: string): Promise<ImageFormat | null> {
    const { rows } = await sql.query<{ format: ImageFormat }>(
      `select format from uploads where account_id = $1 and sha256 = $2
       union all
       select o.format from job_outputs o join jobs j on j.id = o.job_id
        where o.account_id = $1 and o.sha256 = $2 and j.team_id is null
          and j.state in ('succeeded', 'confirmed')
       union all
       select 'png' from job_previews p join jobs j on j.id = p.job_id
        where p.account_id = $1 and p.sha256 = $2 and j.team_id is null
          and j.state in ('awaiting-confirm', 'confirmed')
       union all
       select o.format from job_outputs o join jobs j on j.id = o.job_id
        where o.sha256 = $2 and j.team_id in (${memberTeams})
          and j.state in ('succeeded', 'confirmed')
       union all
       select 'png' from job_previews p join jobs j on j.id = p.job_id
        where p.sha256 = $2 and j.team_id in (${memberTeams})
          and j.state in ('awaiting-confirm', 'confirmed')
       union all
       select u.format from uploads u join jobs j on j.account_id = u.account_id
        where u.sha256 = $2 and j.team_id in (${memberTeams})
          and u.id in (j.params::jsonb ->> 'inputUploadId', j.params::jsonb ->> 'uploadId')
       limit 1`,
      [accountId, sha256],
    );
    return rows[0]?.format ?? null;
  },
};
