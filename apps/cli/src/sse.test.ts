import { describe, expect, it } from 'vitest';
import { readSse, SseParser } from './sse.ts';

describe('SseParser', () => {
  it('parses events split across arbitrary chunks', () => {
    const text = 'event: status\ndata: {"status":"queued"}\n\nevent: result\ndata: {"id":"run_1"}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser();
      const messages = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(messages).toEqual([
        { event: 'status', data: '{"status":"queued"}' },
        { event: 'result', data: '{"id":"run_1"}' },
      ]);
    }
  });

  it('skips comments, joins multi-line data and accepts CRLF', () => {
    const parser = new SseParser();
    expect(parser.push(': keep-alive\r\n\r\ndata: a\r\ndata:b\r\n\r\n')).toEqual([
      { event: 'message', data: 'a\nb' },
    ]);
  });

  it('waits for the second half of a CRLF split between chunks', () => {
    const parser = new SseParser();
    expect(parser.push('data: x\r')).toEqual([]);
    expect(parser.push('\n\r')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});

describe('readSse', () => {
  it('reads a byte stream and flushes a last message with no blank line after it', async () => {
    const encoder = new TextEncoder();
    async function* body() {
      yield encoder.encode('event: status\nda');
      yield encoder.encode('ta: 1\n\nevent: result\ndata: 2');
    }
    const messages = [];
    for await (const message of readSse(body())) messages.push(message);
    expect(messages).toEqual([
      { event: 'status', data: '1' },
      { event: 'result', data: '2' },
    ]);
  });

  it('decodes multi-byte characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo\n\n');
    async function* body() {
      yield bytes.slice(0, 8);
      yield bytes.slice(8);
    }
    const messages = [];
    for await (const message of readSse(body())) messages.push(message);
    expect(messages).toEqual([{ event: 'message', data: 'héllo' }]);
  });
});
