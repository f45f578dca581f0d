/**
 * A minimal writer for the ONNX protobuf messages a converted image model needs (ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto), so a model can be handed to
 * onnxruntime as bytes without a protobuf library. Field numbers are those of onnx.proto (IR 8).
 */

/** Protobuf bytes being built: varints, length-delimited fields and fixed32 floats. */
class Writer {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.byteLength;
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`protobuf varint out of range: ${value}`);
    const out: number[] = [];
    let v = value;
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
  }

  int(field: number, value: number): this {
    this.varint(field * 8);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.varint(field * 8 + 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint(field * 8 + 2);
    this.varint(value.byteLength);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}

type Attribute =
  | { name: string; int: number }
  | { name: string; ints: readonly number[] }
  | { name: string; float: number }
  | { name: string; string: string };

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly Attribute[];
}

/**
 * A tensor of constants: float32 (data_type 1), int64 (7), or the integer types of quantised
 * weights, uint8 (2), int8 (3) and int32 (6).
 */
export type Initializer =
  | { name: string; dims: readonly number[]; float32: Float32Array }
  | { name: string; dims: readonly number[]; int64: readonly number[] }
  | { name: string; dims: readonly number[]; uint8: Uint8Array }
  | { name: string; dims: readonly number[]; int8: Int8Array }
  | { name: string; dims: readonly number[]; int32: Int32Array };

/** A graph input or output: float32 with named (symbolic) or fixed dimensions. */
interface ValueInfo {
  name: string;
  dims: ReadonlyArray<number | string>;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly Initializer[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INT32 = 6;
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

function writeAttribute(w: Writer, a: Attribute): void {
  w.string(1, a.name);
  if ('int' in a) w.int(3, a.int).int(20, ATTR_INT);
  else if ('ints' in a) {
    for (const v of a.ints) w.int(8, v);
    w.int(20, ATTR_INTS);
  } else if ('float' in a) w.float(2, a.float).int(20, ATTR_FLOAT);
  else w.string(4, a.string).int(20, ATTR_STRING);
}

function writeTensor(w: Writer, t: Initializer): void {
  for (const d of t.dims) w.int(1, d);
  if ('float32' in t) {
    w.int(2, FLOAT).string(8, t.name);
    // raw_data is little-endian; copy so a view into a larger buffer is not written whole.
    const raw = new Uint8Array(t.float32.byteLength);
    const view = new DataView(raw.buffer);
    t.float32.forEach((v, i) => view.setFloat32(i * 4, v, true));
    w.bytes(9, raw);
  } else if ('uint8' in t) {
    w.int(2, UINT8).string(8, t.name);
    w.bytes(9, new Uint8Array(t.uint8));
  } else if ('int8' in t) {
    w.int(2, INT8).string(8, t.name);
    w.bytes(
      9,
      new Uint8Array(t.int8.buffer.slice(t.int8.byteOffset, t.int8.byteOffset + t.int8.byteLength)),
    );
  } else if ('int32' in t) {
    w.int(2, INT32).string(8, t.name);
    const raw = new Uint8Array(t.int32.length * 4);
    const view = new DataView(raw.buffer);
    t.int32.forEach((v, i) => view.setInt32(i * 4, v, true));
    w.bytes(9, raw);
  } else {
    w.int(2, INT64).string(8, t.name);
    const raw = new Uint8Array(t.int64.length * 8);
    const view = new DataView(raw.buffer);
    t.int64.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    w.bytes(9, raw);
  }
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.dims)
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** Serialises `graph` as an ONNX ModelProto (IR version 8, default opset `opset`). */
export function onnxModel(graph: OnnxGraph, opset = 17, producer = 'easel'): Uint8Array {
  const w = new Writer();
  w.int(1, 8);
  w.string(2, producer);
  w.message(7, (g) => {
    for (const n of graph.nodes) {
      g.message(1, (node) => {
        for (const i of n.inputs) node.string(1, i);
        for (const o of n.outputs) node.string(2, o);
        node.string(3, n.outputs[0] ?? n.op);
        node.string(4, n.op);
        for (const a of n.attributes ?? []) node.message(5, (attr) => writeAttribute(attr, a));
      });
    }
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (tensor) => writeTensor(tensor, t));
    for (const i of graph.inputs) g.message(11, (v) => writeValueInfo(v, i));
    for (const o of graph.outputs) g.message(12, (v) => writeValueInfo(v, o));
  });
  w.message(8, (op) => op.string(1, '').int(2, opset));
  return w.finish();
}
