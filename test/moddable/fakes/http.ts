// A fake of Moddable's `http` Request: it records the options it was made with and lets
// the test answer through the callback, as modules/network/http/http.js does.
export const requests: FakeRequest[] = [];

export class FakeRequest {
  callback: (message: number, value?: unknown) => void = () => {};
  closed = false;
  constructor(readonly options: Record<string, unknown>) {
    requests.push(this);
  }
  close(): void { this.closed = true; }
  /** The server answers: status, then the whole body. */
  answer(status: number, body = ''): void {
    this.callback(1, status);
    this.callback(5, body);
  }
  fail(): void { this.callback(-1); }
}

export { FakeRequest as Request };
