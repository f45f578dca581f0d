/**
 * Converts the Keras functional models of the ESRGAN packages (RDN and RRDN, as saved by
 * TensorFlow.js) into an ONNX graph that onnxruntime runs on the CPU. The weights are the
 * package's own; only the runtime changes. Supported layers: InputLayer, Conv2D (stride 1,
 * 'same' or 1×1), Activation (relu, linear), Add, Concatenate (channel axis), UpSampling2D
 * (nearest), and the two custom layers of the RRDN models, MultiplyBeta (× 0.2) and
 * PixelShuffle{n}x (depth to space). Anything else is refused.
 *
 * The graph takes and returns NHWC float pixels in 0..255, like the tfjs path: the model's own
 * range (0..1 for RRDN) is applied inside the graph, and the layout turns to NCHW and back.
 */
import { EngineError } from '../errors';
import type { LayersModelFile, WeightSpec } from '../layers-model-file';
import type { Initializer, OnnxGraph, OnnxNode } from './proto';

export interface ConvertOptions {
  /** The value range the model was trained on: [0, 255] (RDN) or [0, 1] (RRDN). */
  inputMax: 1 | 255;
}

interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  inputs: string[];
}

const INPUT = 'pixels';
const OUTPUT = 'upscaled';

function fail(message: string): never {
  throw new EngineError('model-missing', `The model cannot be converted: ${message}`);
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`${what} is not an object`);
  return value as Record<string, unknown>;
}

/** The layers of a Keras functional model config, in their (topological) order. */
function kerasLayers(topology: unknown): { layers: KerasLayer[]; input: string; output: string } {
  const top = asRecord(topology, 'modelTopology');
  const modelConfig = asRecord(top.model_config ?? top, 'model_config');
  const config = asRecord(modelConfig.config, 'model_config.config');
  if (!Array.isArray(config.layers)) fail('the model has no layer list');
  const layers = config.layers.map((raw: unknown): KerasLayer => {
    const l = asRecord(raw, 'a layer');
    const cfg = asRecord(l.config, 'a layer config');
    if (typeof l.class_name !== 'string' || typeof l.name !== 'string') fail('a layer has no name');
    const inbound = Array.isArray(l.inbound_nodes) ? (l.inbound_nodes as unknown[]) : [];
    if (inbound.length > 1) fail(`layer ${l.name} is shared between several calls`);
    const first = inbound[0];
    const inputs = Array.isArray(first)
      ? first.map((ref: unknown) => {
          if (!Array.isArray(ref) || typeof ref[0] !== 'string')
            fail(`layer ${l.name} has a bad input`);
          if (ref[2] !== 0) fail(`layer ${l.name} reads a second output of ${ref[0]}`);
          return ref[0];
        })
      : [];
    return { className: l.class_name, name: l.name, config: cfg, inputs };
  });
  const ends = (key: string): string => {
    const list = config[key];
    if (!Array.isArray(list) || list.length !== 1 || !Array.isArray(list[0]))
      fail(`the model must have exactly one ${key.replace('_layers', '')}`);
    const name: unknown = list[0][0];
    if (typeof name !== 'string') fail(`bad ${key}`);
    return name;
  };
  return { layers, input: ends('input_layers'), output: ends('output_layers') };
}

/** Float32 views of the weights, by name ('F_1_1/kernel'), from the concatenated buffer. */
function weightViews(
  specs: readonly WeightSpec[],
  data: ArrayBuffer,
): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32' || spec.quantization !== undefined)
      fail(`weight ${spec.name} is not plain float32`);
    const count = spec.shape.reduce((n, d) => n * d, 1);
    if (offset + count * 4 > data.byteLength)
      fail('the weight files are shorter than the manifest');
    out.set(spec.name, {
      shape: spec.shape,
      values: new Float32Array(data.slice(offset, offset + count * 4)),
    });
    offset += count * 4;
  }
  if (offset !== data.byteLength) fail('the weight files are longer than the manifest');
  return out;
}

/** Keras conv kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
function toOihw(
  shape: readonly number[],
  values: Float32Array,
): { dims: number[]; data: Float32Array } {
  const [kh = 0, kw = 0, cin = 0, cout = 0] = shape;
  const data = new Float32Array(values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++)
          data[((o * cin + i) * kh + y) * kw + x] =
            values[((y * kw + x) * cin + i) * cout + o] ?? 0;
  return { dims: [cout, cin, kh, kw], data };
}

function pair(value: unknown, what: string): [number, number] {
  if (Array.isArray(value) && value.length === 2 && value.every((v) => Number.isInteger(v)))
    return [value[0] as number, value[1] as number];
  fail(`${what} must be two integers`);
}

/** Builds the ONNX graph of a RDN/RRDN layers model. */
export function kerasToOnnx(model: LayersModelFile, options: ConvertOptions): OnnxGraph {
  const { layers, input, output } = kerasLayers(model.modelTopology);
  const weights = weightViews(model.weightSpecs, model.weightData);
  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [];
  const scalar = (name: string, value: number): string => {
    initializers.push({ name, dims: [], float32: Float32Array.of(value) });
    return name;
  };
  const weight = (name: string): { shape: number[]; values: Float32Array } =>
    weights.get(name) ?? fail(`weight ${name} is missing`);

  // NHWC 0..255 in → NCHW in the model's range.
  const nchw = `${input}/nchw`;
  nodes.push({
    op: 'Transpose',
    inputs: [INPUT],
    outputs: [nchw],
    attributes: [{ name: 'perm', ints: [0, 3, 1, 2] }],
  });
  if (options.inputMax === 1)
    nodes.push({ op: 'Mul', inputs: [nchw, scalar('to_unit', 1 / 255)], outputs: [input] });
  else nodes.push({ op: 'Identity', inputs: [nchw], outputs: [input] });

  let used = 0;
  for (const layer of layers) {
    const { name, config, inputs } = layer;
    const only = (): string => {
      if (inputs.length !== 1) fail(`${layer.className} ${name} must have one input`);
      return inputs[0] ?? '';
    };
    switch (layer.className) {
      case 'InputLayer':
        if (name !== input) fail(`unexpected input layer ${name}`);
        break;
      case 'Conv2D': {
        const [kh, kw] = pair(config.kernel_size, `${name}.kernel_size`);
        const strides = pair(config.strides ?? [1, 1], `${name}.strides`);
        const dilation = pair(config.dilation_rate ?? [1, 1], `${name}.dilation_rate`);
        if (
          strides.some((s) => s !== 1) ||
          dilation.some((d) => d !== 1) ||
          (config.groups ?? 1) !== 1
        )
          fail(`${name} uses strides, dilation or groups`);
        if (config.data_format !== undefined && config.data_format !== 'channels_last')
          fail(`${name} is not channels_last`);
        const same = config.padding === 'same';
        if (!same && (kh !== 1 || kw !== 1))
          fail(`${name} has 'valid' padding on a ${kh}×${kw} kernel`);
        if (kh % 2 === 0 || kw % 2 === 0) fail(`${name} has an even kernel`);
        const kernel = weight(`${name}/kernel`);
        const { dims, data } = toOihw(kernel.shape, kernel.values);
        initializers.push({ name: `${name}/kernel`, dims, float32: data });
        const convInputs = [only(), `${name}/kernel`];
        if (config.use_bias !== false) {
          const bias = weight(`${name}/bias`);
          initializers.push({ name: `${name}/bias`, dims: bias.shape, float32: bias.values });
          convInputs.push(`${name}/bias`);
          used++;
        }
        used++;
        const activation = config.activation ?? 'linear';
        if (activation !== 'linear' && activation !== 'relu')
          fail(`${name} has activation ${String(activation)}`);
        const convOut = activation === 'relu' ? `${name}/linear` : name;
        const ph = (kh - 1) / 2;
        const pw = (kw - 1) / 2;
        nodes.push({
          op: 'Conv',
          inputs: convInputs,
          outputs: [convOut],
          attributes: [
            { name: 'kernel_shape', ints: [kh, kw] },
            { name: 'pads', ints: [ph, pw, ph, pw] },
          ],
        });
        if (activation === 'relu') nodes.push({ op: 'Relu', inputs: [convOut], outputs: [name] });
        break;
      }
      case 'Activation':
        if (config.activation === 'relu')
          nodes.push({ op: 'Relu', inputs: [only()], outputs: [name] });
        else if (config.activation === 'linear')
          nodes.push({ op: 'Identity', inputs: [only()], outputs: [name] });
        else fail(`${name} has activation ${String(config.activation)}`);
        break;
      case 'Add':
        if (inputs.length < 2) fail(`${name} adds fewer than two tensors`);
        if (inputs.length === 2) nodes.push({ op: 'Add', inputs, outputs: [name] });
        else nodes.push({ op: 'Sum', inputs, outputs: [name] });
        break;
      case 'Concatenate': {
        const axis = config.axis ?? -1;
        if (axis !== -1 && axis !== 3) fail(`${name} concatenates on axis ${String(axis)}`);
        nodes.push({
          op: 'Concat',
          inputs,
          outputs: [name],
          attributes: [{ name: 'axis', int: 1 }],
        });
        break;
      }
      case 'UpSampling2D': {
        const [sh, sw] = pair(config.size, `${name}.size`);
        if ((config.interpolation ?? 'nearest') !== 'nearest')
          fail(`${name} is not nearest-neighbour`);
        // tfjs: out[y] = in[floor(y / s)], i.e. asymmetric coordinates with floor.
        initializers.push({
          name: `${name}/scales`,
          dims: [4],
          float32: Float32Array.of(1, 1, sh, sw),
        });
        nodes.push({
          op: 'Resize',
          inputs: [only(), '', `${name}/scales`],
          outputs: [name],
          attributes: [
            { name: 'mode', string: 'nearest' },
            { name: 'coordinate_transformation_mode', string: 'asymmetric' },
            { name: 'nearest_mode', string: 'floor' },
          ],
        });
        break;
      }
      case 'MultiplyBeta': {
        // UpscalerJS's MultiplyBeta multiplies by its fixed beta, 0.2, whatever the config says.
        nodes.push({ op: 'Mul', inputs: [only(), scalar(`${name}/beta`, 0.2)], outputs: [name] });
        break;
      }
      default: {
        const shuffle = /^PixelShuffle(\d)x$/.exec(layer.className);
        if (!shuffle) fail(`layer type ${layer.className} (${name}) is not supported`);
        const block = Number(shuffle[1]);
        nodes.push({
          op: 'DepthToSpace',
          inputs: [only()],
          outputs: [name],
          attributes: [
            { name: 'blocksize', int: block },
            { name: 'mode', string: 'DCR' },
          ],
        });
      }
    }
  }
  if (used !== weights.size) fail(`${weights.size - used} weights belong to no layer`);

  const back = `${output}/nhwc`;
  nodes.push({
    op: 'Transpose',
    inputs: [output],
    outputs: [back],
    attributes: [{ name: 'perm', ints: [0, 2, 3, 1] }],
  });
  if (options.inputMax === 1)
    nodes.push({ op: 'Mul', inputs: [back, scalar('to_bytes', 255)], outputs: [OUTPUT] });
  else nodes.push({ op: 'Identity', inputs: [back], outputs: [OUTPUT] });

  return {
    name: 'esrgan',
    nodes,
    initializers,
    inputs: [{ name: INPUT, dims: [1, 'height', 'width', 3] }],
    outputs: [{ name: OUTPUT, dims: [1, 'out_height', 'out_width', 3] }],
  };
}

export const ONNX_INPUT = INPUT;
export const ONNX_OUTPUT = OUTPUT;
