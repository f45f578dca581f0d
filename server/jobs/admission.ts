/**
 * Everything checked before a job may hold credits: its inputs exist and belong to the account,
 * the price book can price it (QuoteError → 400 with its code), the engines can run it, and the
 * quote the user saw is the current one (otherwise 409 with the fresh quote). Nothing here
 * writes to the ledger.
 */
import type { CreateJobRequest } from '../../shared/api/jobs';
import type { PriceBook } from '../../shared/pricing/book';
import { QuoteError, dislikeRefund, quote } from '../../shared/pricing/quote';
import type { Quote, QuoteRequest } from '../../shared/pricing/request';
import type { Sql } from '../db/database';
import { DEFAULT_MAX_OUTPUT_PIXELS, isFilterPreset } from '../engines/index';
import { HttpError, badRequest, conflict } from '../http/errors';
import { type UploadRow, jobStore } from './job-store';
import { type GenerateProviders, type ProviderChoice, withoutAddresses } from './providers';

export interface JobPlan {
  quoteRequest: QuoteRequest;
  quote: Quote;
  /** Generate: what disliking one image gives back (null when the book has no refunds). */
  refundCredits: number | null;
  provider: ProviderChoice | null;
  /** The input image (the upload of filter, upscale, cutout, or image-to-image). */
  input: UploadRow | null;
}

async function upload(sql: Sql, accountId: string, uploadId: string): Promise<UploadRow> {
  const row = await jobStore.findUpload(sql, accountId, uploadId);
  // Another account's upload is "not found" too: never confirm that it exists.
  if (!row) throw new HttpError(404, 'upload-not-found', `upload ${uploadId} not found`);
  return row;
}

function priced(book: PriceBook, request: QuoteRequest): Quote {
  try {
    return quote(book, request);
  } catch (error) {
    if (error instanceof QuoteError) throw badRequest(error.code, error.message);
    throw error;
  }
}

/** Checks a job request and prices it with `book`; throws the HttpError to answer otherwise. */
export async function admit(
  sql: Sql,
  accountId: string,
  book: PriceBook,
  providers: GenerateProviders,
  req: CreateJobRequest,
): Promise<JobPlan> {
  const plan = await planFor(sql, accountId, book, providers, req);
  if (
    req.quote.credits !== plan.quote.credits ||
    req.quote.priceBookVersion !== plan.quote.priceBookVersion
  ) {
    throw conflict(
      'quote-changed',
      `the price is now ${plan.quote.credits} credits (price book ${plan.quote.priceBookVersion}); nothing was held`,
      plan.quote,
    );
  }
  return plan;
}

async function planFor(
  sql: Sql,
  accountId: string,
  book: PriceBook,
  providers: GenerateProviders,
  req: CreateJobRequest,
): Promise<JobPlan> {
  switch (req.tool) {
    case 'generate': {
      const p = req.params;
      if (p.mode === 'text-to-image' && p.inputUploadId !== undefined)
        throw badRequest('unexpected-input', 'text-to-image takes no input image');
      if (p.mode === 'image-to-image' && p.inputUploadId === undefined)
        throw badRequest('input-required', 'image-to-image needs inputUploadId');
      const input =
        p.inputUploadId === undefined ? null : await upload(sql, accountId, p.inputUploadId);
      const request = {
        tool: 'generate' as const,
        mode: p.mode,
        width: p.width,
        height: p.height,
        steps: p.steps,
        model: p.model,
        count: p.count,
      };
      const q = priced(book, request);
      const provider = await providers.choose(p.model, book.tools.generate?.models ?? {});
      if ('reason' in provider)
        throw badRequest('model-unavailable', withoutAddresses(provider.reason));
      return {
        quoteRequest: request,
        quote: q,
        refundCredits: dislikeRefund(book, request),
        provider,
        input,
      };
    }
    case 'filter': {
      const input = await upload(sql, accountId, req.params.uploadId);
      const preset = req.params.preset;
      // Every preset a price book may sell is one the engine knows; the book decides which are sold.
      if (!isFilterPreset(preset))
        throw badRequest('unknown-preset', `unknown filter preset "${preset}"`);
      const request = {
        tool: 'filter' as const,
        preset,
        width: input.width,
        height: input.height,
      };
      return {
        quoteRequest: request,
        quote: priced(book, request),
        refundCredits: null,
        provider: null,
        input,
      };
    }
    case 'upscale': {
      const { mode, tier } = req.params;
      if (mode === 'lanczos' && tier !== undefined)
        throw badRequest(
          'conflicting-params',
          'a Lanczos resize has no quality tier: send either mode "lanczos" or a tier',
        );
      const input = await upload(sql, accountId, req.params.uploadId);
      // A Lanczos resize (older clients) costs what the fast tier costs.
      const request = {
        tool: 'upscale' as const,
        factor: req.params.factor,
        width: input.width,
        height: input.height,
        ...(tier === undefined ? {} : { tier }),
      };
      const q = priced(book, request);
      const out = input.width * req.params.factor * input.height * req.params.factor;
      if (out > DEFAULT_MAX_OUTPUT_PIXELS)
        throw badRequest(
          'too-many-pixels',
          `the upscaled image would be ${(out / 1e6).toFixed(1)} MP; the limit is ${(DEFAULT_MAX_OUTPUT_PIXELS / 1e6).toFixed(1)} MP`,
        );
      return { quoteRequest: request, quote: q, refundCredits: null, provider: null, input };
    }
    case 'face-enhance': {
      const input = await upload(sql, accountId, req.params.uploadId);
      const request = { tool: 'face-enhance' as const, width: input.width, height: input.height };
      const q = priced(book, request);
      const provider = await providers.faceProvider();
      if ('reason' in provider)
        throw badRequest('tool-unavailable', withoutAddresses(provider.reason));
      return { quoteRequest: request, quote: q, refundCredits: null, provider, input };
    }
    case 'cutout': {
      const input = await upload(sql, accountId, req.params.uploadId);
      const request = { tool: 'cutout' as const, width: input.width, height: input.height };
      return {
        quoteRequest: request,
        quote: priced(book, request),
        refundCredits: null,
        provider: null,
        input,
      };
    }
  }
}
