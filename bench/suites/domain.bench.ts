import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Benchmark } from '../harness';
import { medianMs } from '../harness';
import { utf8 } from '../../shared/crypto/bytes';
import type { ChainDigest } from '../../shared/crypto/sha256';
import { parseEntry } from '../../shared/ledger/chain';
import type { ChainWriter } from '../../shared/ledger/writer';
import { verifyChain } from '../../shared/ledger/verify';
import { defaultPriceBook } from '../../shared/pricing/fixtures/default';
import { quote } from '../../shared/pricing/quote';
import type { QuoteRequest } from '../../shared/pricing/request';
import { testServerKey, testServerKeys } from '../../shared/testing/ledger-fixture';
import { WalletFold } from '../../shared/wallet/fold';
import { buildRealisticChain } from '../fixtures/chain';

const N = 100_000;
let chain: ReturnType<typeof buildRealisticChain> | undefined;
const getChain = () => (chain ??= buildRealisticChain(N));

/** What main/ and server/ pass in Node: the same digest on node:crypto. */
const nodeDigest: ChainDigest = (prev, body) =>
  createHash('sha256').update(Buffer.from(prev, 'hex')).update(body, 'utf8').digest('hex');

export const benchmarks: Benchmark[] = [
  {
    id: 'quote',
    title: 'Median time of one price quote',
    async run() {
      const requests: QuoteRequest[] = [
        {
          tool: 'generate',
          mode: 'text-to-image',
          width: 1024,
          height: 1024,
          steps: 30,
          model: 'pro',
          count: 4,
        },
        { tool: 'upscale', factor: 4, width: 960, height: 540 },
        { tool: 'filter', preset: 'sepia', width: 800, height: 600 },
        { tool: 'design', designId: 'd-1', priceCents: 499 },
      ];
      const batch = 10_000;
      let sink = 0;
      // Median over 25 batches of 10,000 quotes, per quote.
      const perBatch = await medianMs(
        () => {
          for (let i = 0; i < batch; i++) sink += quote(defaultPriceBook, requests[i & 3]!).credits;
        },
        25,
        5,
      );
      if (sink === 0) throw new Error('quotes returned nothing');
      const us = (perBatch * 1000) / batch;
      return {
        value: us,
        unit: 'µs',
        baseline: 5,
        better: 'lower',
        note: 'target: median under 5 µs',
        extra: { quotesPerSecond: Math.round(1e6 / us) },
      };
    },
  },
  {
    id: 'fold-100k',
    title: 'Fold 100,000 entries into wallet state',
    async run() {
      const { entries, end } = getChain();
      const bodies = entries.map((e) => e.data);
      const ms = await medianMs(
        () => {
          const f = new WalletFold();
          for (const b of bodies) f.apply(b);
          return f.view(end);
        },
        7,
        2,
      );
      const parseMs = await medianMs(() => entries.map((e) => parseEntry(e)), 3, 1);
      return {
        value: ms,
        unit: 'ms',
        baseline: 150,
        better: 'lower',
        note: 'target: under 150 ms in Node',
        extra: { 'schema parse of 100k bodies (ms)': Math.round(parseMs) },
      };
    },
  },
  {
    id: 'verify-100k',
    title: 'Verify a 100,000-entry chain plus one checkpoint',
    async run() {
      const { entries, writer, accountId, end } = getChain();
      const wire = entries.map(({ seq, hash, body }) => ({ seq, hash, body }));
      const checkpoint = writer.checkpoint(end, testServerKey);
      const verifyOnce = (digest?: ChainDigest) => {
        const v = verifyChain(wire, checkpoint, testServerKeys, {
          accountId,
          ...(digest ? { digest } : {}),
        });
        if (!v.ok) throw new Error(v.message);
      };
      const native = await medianMs(() => verifyOnce(nodeDigest), 5, 1);
      const portable = await medianMs(() => verifyOnce(), 5, 1);
      // Baseline: one Ed25519 signature per entry. Measured on 1,000 entries and scaled.
      const sample = wire.slice(0, 1000);
      const sigs = sample.map((e) => ed25519.sign(utf8(e.body), new Uint8Array(32).fill(0x11)));
      const pub = ed25519.getPublicKey(new Uint8Array(32).fill(0x11));
      const perThousand = await medianMs(
        () => {
          for (let i = 0; i < sample.length; i++)
            if (!ed25519.verify(sigs[i]!, utf8(sample[i]!.body), pub)) throw new Error('bad sig');
        },
        3,
        1,
      );
      const perEntrySignatures = perThousand * (N / 1000);
      return {
        value: native,
        unit: 'ms',
        baseline: perEntrySignatures,
        better: 'lower',
        note: 'Node host digest (node:crypto, as main/ uses); baseline: one Ed25519 signature per entry (1,000 measured, ×100); targets: under 500 ms, ratio ≥ 50×',
        extra: {
          'portable @noble SHA-256, as in the browser (ms)': Math.round(portable),
          'per-entry signatures (ms)': Math.round(perEntrySignatures),
        },
      };
    },
  },
];

// Keep the type import used when this file is type-checked alone.
export type { ChainWriter };
