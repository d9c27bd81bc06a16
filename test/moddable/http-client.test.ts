// The HttpClient port on Moddable's `http` Request (firmware/moddable/http-client.ts),
// against a fake Request the test answers with the SDK's callback messages: what the
// request is made with (HTTPS over SecureSocket, the CA as DER, headers as a flat list,
// the body), and that `done` comes once, for an answer, an error or a timeout.
import { beforeEach, describe, expect, it } from 'vitest';
import './fakes/xs-globals.js';
import { createHttpClient } from '../../firmware/moddable/http-client.js';
import type { HttpClientRequest, HttpClientResponse } from '../../firmware/core/host.js';
import { requests } from './fakes/http.js';
import SecureSocket from './fakes/securesocket.js';
import { advance } from './fakes/timer.js';

const REQUEST: HttpClientRequest = {
  method: 'POST', host: 'iot.example.com', port: 8443, path: '/api/data', tls: { ca: '-----BEGIN CERTIFICATE-----\nAQIDBA==\n-----END CERTIFICATE-----\n' },
  headers: { 'Content-Type': 'application/json', Authorization: 'Bearer t' }, body: new TextEncoder().encode('{"data":[]}'), timeoutMs: 1000,
};

function send(req: HttpClientRequest = REQUEST) {
  const outcomes: { error?: string; response?: HttpClientResponse }[] = [];
  createHttpClient().request(req, (error, response) => outcomes.push({ ...(error ? { error: error.message } : {}), ...(response ? { response } : {}) }));
  return { outcomes, raw: requests[requests.length - 1]! };
}

beforeEach(() => { requests.length = 0; });

describe('Moddable HTTP client adapter', () => {
  it('makes an HTTPS request over SecureSocket with the CA as DER, flat headers and a string body', () => {
    const { raw, outcomes } = send();
    const o = raw.options as Record<string, any>;
    expect(o).toMatchObject({ host: 'iot.example.com', port: 8443, path: '/api/data', method: 'POST', body: '{"data":[]}', response: String });
    expect(o.headers).toEqual(['Content-Type', 'application/json', 'Authorization', 'Bearer t']);
    expect(o.Socket).toBe(SecureSocket);
    expect(o.secure.tls_server_name).toBe('iot.example.com');
    expect([...new Uint8Array(o.secure.certificate)]).toEqual([1, 2, 3, 4]);
    raw.answer(201, 'created');
    expect(outcomes).toEqual([{ response: { status: 201, body: 'created' } }]);
    expect(raw.closed).toBe(true);
  });

  it('an error message is one failure; a late answer after it changes nothing', () => {
    const { raw, outcomes } = send();
    raw.fail();
    raw.answer(200);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.error).toMatch(/TLS\/HTTP to iot.example.com:8443 failed/);
  });

  it('no answer within timeoutMs: a timeout failure, and the request is closed', () => {
    const { raw, outcomes } = send();
    advance(1000);
    expect(outcomes).toEqual([{ error: 'iot.example.com:8443: no answer in 1000 ms' }]);
    expect(raw.closed).toBe(true);
  });

  it('plain HTTP has no Socket or secure options', () => {
    const { tls: _tls, ...plain } = REQUEST;
    const { raw } = send(plain);
    expect((raw.options as Record<string, unknown>).Socket).toBeUndefined();
    expect((raw.options as Record<string, unknown>).secure).toBeUndefined();
  });
});
