/** Turns stored job rows into the API's Job, parsing stored JSON back through its schema. */
import {
  CutoutJobParams,
  FaceEnhanceJobParams,
  FilterJobParams,
  GenerateJobParams,
  type Job,
  type JobOutput,
  type JobTool,
  UpscaleJobParams,
} from '../../shared/api/jobs';
import type { LiveProgress } from './events';
import type { JobRow, OutputRow } from './job-store';

const paramsSchema = {
  generate: GenerateJobParams,
  filter: FilterJobParams,
  upscale: UpscaleJobParams,
  cutout: CutoutJobParams,
  'face-enhance': FaceEnhanceJobParams,
} as const;

export function parseParams(tool: JobTool, json: string): Job['params'] {
  return paramsSchema[tool].parse(JSON.parse(json));
}

const fileUrl = (sha256: string): string => `/v1/files/${sha256}`;

function outputView(o: OutputRow): JobOutput {
  return {
    index: o.idx,
    role: o.role,
    sha256: o.sha256,
    url: fileUrl(o.sha256),
    format: o.format,
    width: o.width,
    height: o.height,
    bytes: o.bytes,
    itemId: o.item_id,
    refundCredits: o.item_id === null ? null : o.refund_credits,
  };
}

/** Outputs are shown only while they are the user's to use (not after a discard or expiry). */
const showsOutputs = (row: JobRow): boolean =>
  row.state === 'succeeded' || row.state === 'awaiting-confirm' || row.state === 'confirmed';

export function jobView(
  row: JobRow,
  outputs: readonly OutputRow[],
  live?: Pick<LiveProgress, 'progress' | 'stage' | 'etaSeconds'>,
): Job {
  return {
    jobId: row.id,
    operationId: row.operation_id,
    tool: row.tool,
    state: row.state,
    progress: Math.min(1, Math.max(0, live?.progress ?? row.progress)),
    // What the engine is doing is known only to the instance running the job.
    stage: live?.stage ?? null,
    etaSeconds:
      live?.etaSeconds === null || live?.etaSeconds === undefined
        ? null
        : Math.round(live.etaSeconds * 10) / 10,
    params: parseParams(row.tool, row.params),
    quote: { credits: row.credits, priceBookVersion: row.price_book_version },
    holdId: row.hold_id,
    holdExpiresAt: row.hold_expires_at,
    charged: row.charged,
    error:
      row.error_code === null
        ? null
        : { code: row.error_code, message: row.error_message ?? row.error_code },
    notice: row.notice,
    provider:
      row.provider_id === null
        ? null
        : { id: row.provider_id, label: row.provider_label ?? row.provider_id },
    outputs: showsOutputs(row) ? outputs.map(outputView) : [],
    ...(row.team_id === null
      ? {}
      : { team: { teamId: row.team_id, projectId: row.project_id, memberId: row.account_id } }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
