// Just enough of RFC 6455 (server side) to carry the SDK's binary frames:
// the opening handshake, binary messages (fragmented or not), ping/pong and
// the close handshake. No extensions are negotiated, so the `ws` client
// falls back to plain frames. Written here because `ws` is only a transitive
// dependency without type definitions in this project.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONTINUATION = 0x0;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class ServerWebSocket {
  onMessage: (data: Buffer) => void = () => {};
  onClose: () => void = () => {};
  private buffered = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closed = false;

  private constructor(private readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  /** Completes the opening handshake; undefined (and the socket rejected) if it is not one. */
  static accept(req: IncomingMessage, socket: Duplex, head: Buffer): ServerWebSocket | undefined {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      ServerWebSocket.reject(socket, 400, 'Bad Request');
      return undefined;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const ws = new ServerWebSocket(socket);
    if (head.length > 0) ws.receive(head);
    return ws;
  }

  static reject(socket: Duplex, status: number, reason: string): void {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(data: Buffer): void {
    if (!this.closed) this.socket.write(frame(OP_BINARY, data));
  }

  close(code = 1000): void {
    if (this.closed) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.socket.end(frame(OP_CLOSE, body));
    this.finish();
  }

  terminate(): void {
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    try {
      for (;;) {
        const parsed = parseFrame(this.buffered);
        if (!parsed) return;
        this.buffered = this.buffered.subarray(parsed.consumed);
        this.handle(parsed.fin, parsed.opcode, parsed.payload);
        if (this.closed) return;
      }
    } catch {
      // A protocol violation ends the connection, as a real server would.
      this.terminate();
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === OP_CLOSE) {
      this.close(payload.length >= 2 ? payload.readUInt16BE(0) : 1000);
    } else if (opcode === OP_PING) {
      this.socket.write(frame(0xa, payload));
    } else if (opcode === OP_CONTINUATION || opcode === OP_BINARY || opcode === 0x1) {
      this.fragments.push(payload);
      if (fin) {
        const message = Buffer.concat(this.fragments);
        this.fragments = [];
        this.onMessage(message);
      }
    }
  }
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  let header: Buffer;
  if (len < 126) header = Buffer.from([0x80 | opcode, len]);
  else if (len < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

function parseFrame(buf: Buffer): { fin: boolean; opcode: number; payload: Buffer; consumed: number } | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0] ?? 0;
  const b1 = buf[1] ?? 0;
  let len = b1 & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (len > MAX_MESSAGE_BYTES) throw new Error('websocket frame too large');
  const masked = (b1 & 0x80) !== 0;
  const maskAt = offset;
  if (masked) offset += 4;
  if (buf.length < offset + len) return undefined;
  const payload = Buffer.from(buf.subarray(offset, offset + len));
  if (masked) {
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (buf[maskAt + (i % 4)] ?? 0);
  }
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, consumed: offset + len };
}
