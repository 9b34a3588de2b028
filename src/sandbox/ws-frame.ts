// Protobuf codec for the long-connection frame (`pbbp2.Frame` in the SDK's
// ws-client): proto2 with required SeqID(1,uint64) LogID(2,uint64)
// service(3,int32) method(4,int32), repeated Header headers(5){key(1),value(2)},
// payloadEncoding(6) payloadType(7) payload(8,bytes) LogIDNew(9).
// Hand-written because protobufjs is only a transitive dependency; the frame
// is small and fixed. Numbers stay below 2^53, so plain JS numbers suffice.

export interface WsHeader {
  key: string;
  value: string;
}

export interface WsFrame {
  SeqID: number;
  LogID: number;
  service: number;
  /** 0 = control (ping/pong), 1 = data (events, callbacks and their ACKs). */
  method: number;
  headers: WsHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

export const FRAME_CONTROL = 0;
export const FRAME_DATA = 1;

function varint(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`cannot encode ${value} as varint`);
  const out: number[] = [];
  let n = value;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function field(num: number, wireType: number): number[] {
  return varint(num * 8 + wireType);
}

function bytesField(num: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...field(num, 2), ...varint(data.length)]), data]);
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');

export function headerValue(frame: WsFrame, key: string): string | undefined {
  return frame.headers.find((h) => h.key === key)?.value;
}

export function encodeFrame(frame: WsFrame): Buffer {
  // Required fields are always written, even when zero: the SDK's decoder
  // rejects a frame that lacks any of them.
  const parts: Buffer[] = [
    Buffer.from([...field(1, 0), ...varint(frame.SeqID)]),
    Buffer.from([...field(2, 0), ...varint(frame.LogID)]),
    Buffer.from([...field(3, 0), ...varint(frame.service)]),
    Buffer.from([...field(4, 0), ...varint(frame.method)]),
  ];
  for (const h of frame.headers) {
    parts.push(bytesField(5, Buffer.concat([bytesField(1, text(h.key)), bytesField(2, text(h.value))])));
  }
  if (frame.payloadEncoding !== undefined) parts.push(bytesField(6, text(frame.payloadEncoding)));
  if (frame.payloadType !== undefined) parts.push(bytesField(7, text(frame.payloadType)));
  if (frame.payload !== undefined) parts.push(bytesField(8, frame.payload));
  if (frame.LogIDNew !== undefined) parts.push(bytesField(9, text(frame.LogIDNew)));
  return Buffer.concat(parts);
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] ?? 0;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 0x80;
    }
  }

  bytes(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function decodeHeader(buf: Uint8Array): WsHeader {
  const r = new Reader(buf);
  const header: WsHeader = { key: '', value: '' };
  while (!r.done) {
    const tag = r.varint();
    if (tag === 10) header.key = utf8(r.bytes());
    else if (tag === 18) header.value = utf8(r.bytes());
    else r.skip(tag & 7);
  }
  return header;
}

export function decodeFrame(buf: Uint8Array): WsFrame {
  const r = new Reader(buf);
  const frame: WsFrame = { SeqID: 0, LogID: 0, service: 0, method: 0, headers: [] };
  while (!r.done) {
    const tag = r.varint();
    const num = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 0 && num >= 1 && num <= 4) {
      const value = r.varint();
      if (num === 1) frame.SeqID = value;
      else if (num === 2) frame.LogID = value;
      else if (num === 3) frame.service = value;
      else frame.method = value;
    } else if (wireType === 2 && num === 5) frame.headers.push(decodeHeader(r.bytes()));
    else if (wireType === 2 && num === 6) frame.payloadEncoding = utf8(r.bytes());
    else if (wireType === 2 && num === 7) frame.payloadType = utf8(r.bytes());
    else if (wireType === 2 && num === 8) frame.payload = Uint8Array.from(r.bytes());
    else if (wireType === 2 && num === 9) frame.LogIDNew = utf8(r.bytes());
    else r.skip(wireType);
  }
  return frame;
}
