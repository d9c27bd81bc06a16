// The upload endpoint's URL, checked where it enters (MI32Upload, upload.json). HTTPS only:
// readings and the token leave the house. Credentials never go in the URL (replies and
// logs show it): the token has its own command and is sent as a Bearer header.

export interface UploadUrl {
  host: string;
  port: number;
  /** Path and query, starting with "/". */
  path: string;
}

const MAX_URL = 256;

/** A checked URL, or a string that says what is wrong with it. */
export function parseUploadUrl(text: string): UploadUrl | string {
  if (text.length > MAX_URL) return `the URL is over ${MAX_URL} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f"<>\\^`{|}]/.test(text)) return 'the URL holds spaces, control characters or characters a URL cannot hold';
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/i.exec(text);
  if (!m) return 'expected https://host[:port]/path';
  if (m[1]!.toLowerCase() !== 'https') return `only https:// URLs are accepted (readings and the token leave the network), got ${m[1]}://`;
  const authority = m[2]!;
  if (authority.includes('@')) return 'no user or password in the URL: give the API token with MI32UploadToken';
  const hp = /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::(\d{1,5}))?$/.exec(authority);
  if (!hp) return `bad host "${authority.slice(0, 40)}" (a name or an IPv4 address, and an optional :port)`;
  const port = hp[2] === undefined ? 443 : Number(hp[2]);
  if (port < 1 || port > 65535) return `port ${hp[2]} is not 1-65535`;
  const path = m[3] === '' ? '/' : m[3]!;
  if (!path.startsWith('/')) return 'the path must start with "/"';
  return { host: hp[1]!, port, path };
}

/** The URL as replies and logs show it: the query (it may hold an API key) hidden. */
export function shownUrl(url: UploadUrl): string {
  const q = url.path.indexOf('?');
  const path = q < 0 ? url.path : url.path.slice(0, q) + '?…';
  return `https://${url.host}${url.port === 443 ? '' : `:${url.port}`}${path}`;
}
