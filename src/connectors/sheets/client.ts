// The Google Sheets SDK wired for Baton: a service account's JWT client (google-auth-library,
// which @googleapis/sheets depends on) whose transport sends Google's token exchange to the
// configured `tokenUri` (the library names Google's endpoint itself), every call with the
// step's abort signal and a timeout, and no SDK retries: the framework retries reads itself,
// honouring Retry-After, and a write must not be repeated behind its back.
import path from 'node:path';
import { auth, sheets, type sheets_v4 } from '@googleapis/sheets';

/** Where google-auth-library sends the JWT exchange; `tokenUri` replaces it. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPES = ['https://www.googleapis.com/auth/spreadsheets'];
const CALL_TIMEOUT_MS = 15_000;
/** A values answer larger than this is refused rather than buffered without bound. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface SheetsAuth {
  credentials?: { client_email: string; private_key: string } | undefined;
  keyFile?: string | undefined;
  tokenUri?: string | undefined;
  rootUrl?: string | undefined;
}

/** Refuses an answer past MAX_ANSWER_BYTES, by its declared length or as it streams. */
function bounded(res: Response): Response {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_ANSWER_BYTES) {
    void res.body?.cancel();
    throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  }
  if (!res.body) return res;
  let seen = 0;
  const limited = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > MAX_ANSWER_BYTES)
          controller.error(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(limited, { status: res.status, statusText: res.statusText, headers: res.headers });
}

export function sheetsClient(
  o: SheetsAuth,
  projectDir: string,
): { api: sheets_v4.Sheets; token: () => Promise<unknown> } {
  const fetchImplementation = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const target = o.tokenUri && url.startsWith(GOOGLE_TOKEN_URL) ? o.tokenUri : url;
    const res = await fetch(input instanceof Request ? new Request(target, input) : target, init);
    return bounded(res);
  };
  const jwt = new auth.JWT({
    ...(o.credentials ? { email: o.credentials.client_email, key: o.credentials.private_key } : {}),
    ...(o.keyFile ? { keyFile: path.resolve(projectDir, o.keyFile) } : {}),
    scopes: SCOPES,
    transporterOptions: { fetchImplementation, timeout: CALL_TIMEOUT_MS, retry: false },
  });
  const api = sheets({ version: 'v4', auth: jwt, ...(o.rootUrl ? { rootUrl: o.rootUrl } : {}) });
  return { api, token: () => jwt.getAccessToken() };
}

/** Per-call options: the step's signal and no SDK-level retries. */
export const callOptions = (signal: AbortSignal) => ({ signal, timeout: CALL_TIMEOUT_MS, retry: false });
