export interface SseMessage {
  event: string;
  data: string;
}

/**
 * An incremental parser for text/event-stream: feed it chunks as they arrive, get back the
 * messages they complete. Comments (`: keep-alive`) are skipped; multi-line `data:` is joined.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const messages: SseMessage[] = [];
    let newline = this.nextLineEnd();
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      const message = this.line(line);
      if (message) messages.push(message);
      newline = this.nextLineEnd();
    }
    return messages;
  }

  /** A lone `\r` at the end of the buffer may be the first half of `\r\n`: wait for more. */
  private nextLineEnd(): number {
    const index = this.buffer.search(/\r\n|\r|\n/);
    return index === this.buffer.length - 1 && this.buffer.endsWith('\r') ? -1 : index;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message =
      this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n') } : undefined;
    this.event = '';
    this.data = [];
    return message;
  }
}

/** Parse a byte stream (fetch's response body) into SSE messages. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for await (const chunk of body) yield* parser.push(decoder.decode(chunk, { stream: true }));
  yield* parser.push(`${decoder.decode()}\n\n`);
}
