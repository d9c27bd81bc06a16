// The part of the `qrcode` package (1.5, no bundled typings) that host-sim uses.
declare module 'qrcode' {
  interface BitMatrix {
    size: number;
    get(row: number, col: number): number;
  }
  interface QRCode {
    modules: BitMatrix;
    version: number;
  }
  export function create(text: string, options?: { errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): QRCode;
  const qrcode: { create: typeof create };
  export default qrcode;
}
