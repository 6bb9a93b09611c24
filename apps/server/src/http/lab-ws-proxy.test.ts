import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { chooseProtocol, recordChosenProtocol, relayedCode, upstreamSocketHeaders } from './lab-ws-proxy.ts';

describe('relayedCode', () => {
  it('passes codes an endpoint may send and replaces the ones it may not', () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1011, 3000, 4001, 4999])
      expect(relayedCode(code)).toBe(code);
    expect(relayedCode(1005)).toBe(1000); // no code given: a normal close
    expect(relayedCode(1006)).toBe(1011); // dropped without a close frame
    expect(relayedCode(1015)).toBe(1011);
    for (const code of [999, 1004, 1016, 2999, 5000]) expect(relayedCode(code)).toBe(1011);
  });
});

describe('chooseProtocol', () => {
  const marked = (protocol: string) => {
    const request = {} as IncomingMessage;
    recordChosenProtocol(request, protocol);
    return request;
  };

  it('answers a lab page with the student’s server’s choice, or none when it chose none', () => {
    expect(chooseProtocol(new Set(['v1', 'v2']), marked('v2'))).toBe('v2');
    expect(chooseProtocol(new Set(['v1', 'v2']), marked(''))).toBe(false);
    // Never a protocol the browser did not offer.
    expect(chooseProtocol(new Set(['v1']), marked('v3'))).toBe(false);
  });

  it('keeps ws’s default (the first offered) for Aperture’s own WebSockets', () => {
    expect(chooseProtocol(new Set(['binary', 'base64']), {} as IncomingMessage)).toBe('binary');
    expect(chooseProtocol(new Set(), {} as IncomingMessage)).toBe(false);
  });
});

describe('upstreamSocketHeaders', () => {
  it('drops the viewer’s credentials, hop-by-hop and handshake headers, and names the lab’s Host', () => {
    const headers = upstreamSocketHeaders(
      {
        host: 'aperture.example',
        cookie: 'aperture_session=secret',
        authorization: 'Bearer t',
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'k',
        'sec-websocket-version': '13',
        'sec-websocket-protocol': 'v1',
        'sec-websocket-extensions': 'permessage-deflate',
        origin: 'null',
        'user-agent': 'browser',
        'accept-language': 'en',
      },
      'web:8080',
    );
    expect(headers).toEqual({
      host: 'web:8080',
      origin: 'null',
      'user-agent': 'browser',
      'accept-language': 'en',
    });
  });
});
