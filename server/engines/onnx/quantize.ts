/**
 * Int8 quantisation of the convolutions of a converted graph (docs/architecture.md §8), in the
 * QDQ form that onnxruntime fuses into integer convolutions (QLinearConv): weights per output
 * channel, symmetric int8; the activations that enter and leave each convolution uint8, with
 * ranges measured beforehand on calibration photos (not on the benchmark's photos); biases int32
 * at the product of the two scales. Everything between the convolutions (the concatenations, the
 * residual additions and their ×0.2) stays float.
 */
import type { Initializer, OnnxGraph, OnnxNode } from './proto';

/** The range of values a tensor took on the calibration photos. */
export interface TensorRange {
  min: number;
  max: number;
}

interface ConvSite {
  conv: OnnxNode;
  /** The tensor the convolution reads. */
  input: string;
  /** What it produces, after its ReLU when it has one. */
  output: string;
}

/** Each Conv of `graph` with its input and its (post-ReLU) output. */
function convSites(graph: OnnxGraph): ConvSite[] {
  const reluOf = new Map<string, string>();
  for (const n of graph.nodes)
    if (n.op === 'Relu' && n.inputs[0] !== undefined && n.outputs[0] !== undefined)
      reluOf.set(n.inputs[0], n.outputs[0]);
  const sites: ConvSite[] = [];
  for (const conv of graph.nodes) {
    if (conv.op !== 'Conv') continue;
    const input = conv.inputs[0];
    const out = conv.outputs[0];
    if (input === undefined || out === undefined) continue;
    sites.push({ conv, input, output: reluOf.get(out) ?? out });
  }
  return sites;
}

/** The names of the tensors whose ranges quantizeConvs needs, in graph order. */
export function calibrationTensors(graph: OnnxGraph): string[] {
  const names = new Set<string>();
  for (const s of convSites(graph)) {
    names.add(s.input);
    names.add(s.output);
  }
  return [...names];
}

/** `graph` with the tensors `names` as extra outputs, to measure their ranges. */
export function withTaps(graph: OnnxGraph, names: readonly string[]): OnnxGraph {
  return {
    ...graph,
    outputs: [...graph.outputs, ...names.map((name) => ({ name, dims: ['n', 'c', 'h', 'w'] }))],
  };
}

function activationParams(range: TensorRange): { scale: number; zero: number } {
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max, min + 1e-6);
  const scale = (max - min) / 255;
  return { scale, zero: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

/**
 * `graph` with every Conv quantised but those of `keepFloat` (Keras layer names); `ranges` must
 * hold every tensor of calibrationTensors. The graph needs opset 13 or later (per-axis
 * DequantizeLinear).
 */
export function quantizeConvs(
  graph: OnnxGraph,
  ranges: ReadonlyMap<string, TensorRange>,
  keepFloat: readonly string[] = [],
): OnnxGraph {
  const sites = convSites(graph).filter(
    (s) => !keepFloat.some((name) => [name, `${name}/linear`].includes(s.conv.outputs[0] ?? '')),
  );
  const initial = new Map<string, Initializer>(graph.initializers.map((i) => [i.name, i]));
  const dropped = new Set<string>();
  const added: Initializer[] = [];
  /** Tensor → its dequantised copy (and the scale it was quantised with). */
  const qdq = new Map<string, { dq: string; scale: number }>();
  const before = new Map<OnnxNode, OnnxNode[]>();
  const after = new Map<OnnxNode, OnnxNode[]>();
  const rename = new Map<string, string>();
  const producer = new Map<string, OnnxNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);

  const quantise = (tensor: string, at: 'before' | 'after', node: OnnxNode): void => {
    if (qdq.has(tensor)) return;
    const range = ranges.get(tensor);
    if (!range) throw new Error(`no calibration range for ${tensor}`);
    const { scale, zero } = activationParams(range);
    const s = `${tensor}/q_scale`;
    const z = `${tensor}/q_zero`;
    added.push({ name: s, dims: [], float32: Float32Array.of(scale) });
    added.push({ name: z, dims: [], uint8: Uint8Array.of(zero) });
    const q = `${tensor}/q`;
    const dq = `${tensor}/dq`;
    const nodes: OnnxNode[] = [
      { op: 'QuantizeLinear', inputs: [tensor, s, z], outputs: [q] },
      { op: 'DequantizeLinear', inputs: [q, s, z], outputs: [dq] },
    ];
    const list = (at === 'before' ? before : after).get(node) ?? [];
    list.push(...nodes);
    (at === 'before' ? before : after).set(node, list);
    qdq.set(tensor, { dq, scale });
    // A convolution's output is read only dequantised (onnxruntime then fuses the pair into an
    // integer convolution); a tensor quantised for the convolution that reads it stays float for
    // every other reader (the residual additions keep their precision).
    if (at === 'after') rename.set(tensor, dq);
  };

  for (const site of sites) {
    const made = producer.get(site.output);
    if (made) quantise(site.output, 'after', made);
  }
  const convs = new Map<OnnxNode, OnnxNode>();
  for (const site of sites) {
    quantise(site.input, 'before', site.conv);
    const inputScale = qdq.get(site.input)?.scale ?? 1;
    const [, wName, bName] = site.conv.inputs;
    const w = wName === undefined ? undefined : initial.get(wName);
    if (!w || !('float32' in w) || wName === undefined) throw new Error('a Conv has no weights');
    const out = w.dims[0] ?? 0;
    const per = w.float32.length / out;
    const wScale = new Float32Array(out);
    const wq = new Int8Array(w.float32.length);
    for (let o = 0; o < out; o++) {
      let m = 0;
      for (let i = 0; i < per; i++) m = Math.max(m, Math.abs(w.float32[o * per + i] ?? 0));
      const sc = m > 0 ? m / 127 : 1;
      wScale[o] = sc;
      for (let i = 0; i < per; i++)
        wq[o * per + i] = Math.max(
          -127,
          Math.min(127, Math.round((w.float32[o * per + i] ?? 0) / sc)),
        );
    }
    dropped.add(wName);
    added.push(
      { name: `${wName}/q`, dims: w.dims, int8: wq },
      { name: `${wName}/q_scale`, dims: [out], float32: wScale },
      { name: `${wName}/q_zero`, dims: [out], int8: new Int8Array(out) },
    );
    const pre = before.get(site.conv) ?? [];
    pre.push({
      op: 'DequantizeLinear',
      inputs: [`${wName}/q`, `${wName}/q_scale`, `${wName}/q_zero`],
      outputs: [`${wName}/dq`],
      attributes: [{ name: 'axis', int: 0 }],
    });
    const inputs = [qdq.get(site.input)?.dq ?? site.input, `${wName}/dq`];
    const b = bName === undefined ? undefined : initial.get(bName);
    if (b && 'float32' in b && bName !== undefined) {
      const bScale = wScale.map((v) => v * inputScale);
      const bq = new Int32Array(out);
      for (let o = 0; o < out; o++) bq[o] = Math.round((b.float32[o] ?? 0) / (bScale[o] ?? 1));
      dropped.add(bName);
      added.push(
        { name: `${bName}/q`, dims: [out], int32: bq },
        { name: `${bName}/q_scale`, dims: [out], float32: bScale },
        { name: `${bName}/q_zero`, dims: [out], int32: new Int32Array(out) },
      );
      pre.push({
        op: 'DequantizeLinear',
        inputs: [`${bName}/q`, `${bName}/q_scale`, `${bName}/q_zero`],
        outputs: [`${bName}/dq`],
        attributes: [{ name: 'axis', int: 0 }],
      });
      inputs.push(`${bName}/dq`);
    }
    before.set(site.conv, pre);
    convs.set(site.conv, { ...site.conv, inputs });
  }

  const nodes: OnnxNode[] = [];
  for (const n of graph.nodes) {
    nodes.push(...(before.get(n) ?? []));
    const base = convs.get(n) ?? n;
    // A concatenation reads the quantised copies of its inputs where they exist, so that
    // onnxruntime joins them as uint8 (QLinearConcat) instead of four times the bytes in float.
    const read = (i: string): string =>
      convs.has(n) ? i : (rename.get(i) ?? (n.op === 'Concat' ? qdq.get(i)?.dq : undefined) ?? i);
    nodes.push({ ...base, inputs: base.inputs.map(read) });
    nodes.push(...(after.get(n) ?? []));
  }
  return {
    ...graph,
    nodes,
    initializers: [...graph.initializers.filter((i) => !dropped.has(i.name)), ...added],
  };
}
