// Plain HTTP calls to a vendor fake, the answer's JSON parsed.
export interface FakeAnswer {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(url: string, init: RequestInit = {}): Promise<FakeAnswer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

export const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
