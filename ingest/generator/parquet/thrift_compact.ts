/**
 * Thrift's compact protocol, the encoding of Parquet's page headers and footer, as far as those
 * use it: structs of fields (i16 ids, written as deltas from the previous one), booleans, i32,
 * i64, binary and lists. Only writing: the generator never reads its own files back.
 */
import { ByteSink } from "./byte_sink";

/** Compact protocol type codes (in a field header; in a list header, the same but for booleans). */
const ThriftType = { True: 1, False: 2, I32: 5, I64: 6, Binary: 8, List: 9, Struct: 12 } as const;

const utf8 = new TextEncoder();

/** Writes one Thrift value (a struct, its fields in increasing id order) into a sink. */
export class CompactWriter {
  /** The id of the last field written, per open struct (field ids are written as deltas). */
  private lastIds: number[] = [0];

  constructor(readonly sink: ByteSink) {}

  private fieldHeader(id: number, type: number): void {
    const last = this.lastIds[this.lastIds.length - 1];
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.sink.byte((delta << 4) | type);
    else {
      this.sink.byte(type);
      this.sink.zigzagVarint(id);
    }
    this.lastIds[this.lastIds.length - 1] = id;
  }

  i32(id: number, value: number): this {
    this.fieldHeader(id, ThriftType.I32);
    this.sink.zigzagVarint(value);
    return this;
  }

  /** An i64 field of an integer below 2^52 in magnitude (row counts, offsets, sizes). */
  i64(id: number, value: number): this {
    this.fieldHeader(id, ThriftType.I64);
    this.sink.zigzagVarint(value);
    return this;
  }

  bool(id: number, value: boolean): this {
    this.fieldHeader(id, value ? ThriftType.True : ThriftType.False);
    return this;
  }

  binary(id: number, bytes: Uint8Array): this {
    this.fieldHeader(id, ThriftType.Binary);
    this.sink.varint(bytes.length);
    this.sink.append(bytes);
    return this;
  }

  string(id: number, text: string): this {
    return this.binary(id, utf8.encode(text));
  }

  /** A struct field: `fields` writes its fields, then the struct's stop byte ends it. */
  struct(id: number, fields: (writer: this) => void): this {
    this.fieldHeader(id, ThriftType.Struct);
    return this.structValue(fields);
  }

  /** A struct with no field header: the whole value, or an element of a list. */
  structValue(fields: (writer: this) => void): this {
    this.lastIds.push(0);
    fields(this);
    this.lastIds.pop();
    this.sink.byte(0);
    return this;
  }

  private listHeader(id: number, elementType: number, size: number): void {
    this.fieldHeader(id, ThriftType.List);
    if (size < 15) this.sink.byte((size << 4) | elementType);
    else {
      this.sink.byte(0xf0 | elementType);
      this.sink.varint(size);
    }
  }

  i32List(id: number, values: readonly number[]): this {
    this.listHeader(id, ThriftType.I32, values.length);
    for (const value of values) this.sink.zigzagVarint(value);
    return this;
  }

  stringList(id: number, values: readonly string[]): this {
    this.listHeader(id, ThriftType.Binary, values.length);
    for (const value of values) {
      const bytes = utf8.encode(value);
      this.sink.varint(bytes.length);
      this.sink.append(bytes);
    }
    return this;
  }

  /** A list of structs, each written by `element`. */
  structList<T>(id: number, items: readonly T[], element: (writer: this, item: T) => void): this {
    this.listHeader(id, ThriftType.Struct, items.length);
    for (const item of items) this.structValue((writer) => element(writer, item));
    return this;
  }
}
