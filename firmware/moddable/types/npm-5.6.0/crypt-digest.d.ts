// `Digest` of the `crypt` module: declared by the Moddable SDK 8.2.3 typings
// (typings/crypt.d.ts), absent from @moddable/typings 5.6.0, which `npm run typecheck`
// uses. Only what the adapters call (firmware/moddable/hap-crypto.ts).

declare module "crypt" {
  export class Digest {
    constructor(algorithm: "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512");
    write(message: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
  }
}
