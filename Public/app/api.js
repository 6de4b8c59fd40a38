/**
 * The workspace's REST client: JSON in and out, the session cookie (sent by the browser) and the
 * CSRF header on every mutation, problem+json errors turned into ApiError. A 401 on any call but
 * the sign-in itself fires "unauthenticated" on apiEvents, so the app can show the sign-in again.
 */
export const apiEvents = new EventTarget();

export class ApiError extends Error {
  /** `problem` is the server's problem+json body (code, title, detail, …) when it sent one. */
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || (status === 0 ? "network" : `http-${status}`);
    this.problem = problem ?? {};
    this.retryAfter = retryAfter;
  }
}

/** The CSRF cookie's value (`__Host-kefu_csrf` over HTTPS, `kefu_csrf` over plain HTTP). */
export function csrfToken() {
  let plain = "";
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "__Host-kefu_csrf") return decodeURIComponent(rest.join("="));
    if (name === "kefu_csrf") plain = decodeURIComponent(rest.join("="));
  }
  return plain;
}

/**
 * `path` with `query` appended, each value percent-encoded with encodeURIComponent: a space
 * becomes %20, never "+", which the server does not read as a space. Values that are undefined,
 * null or "" are left out.
 */
function withQuery(path, query) {
  const url = new URL(path, location.origin);
  const parts = [];
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  }
  url.search = parts.join("&");
  return url;
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/**
 * One request. `query` values that are undefined, null or "" are left out.
 * Resolves to the parsed JSON body (or null for 204); rejects with ApiError.
 */
export async function api(method, path, { body, query, signal, quiet401 = false } = {}) {
  const url = withQuery(path, query);
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError(0, { code: "network", detail: String(error?.message ?? error) });
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    const error = new ApiError(response.status, problem, Number(response.headers.get("Retry-After")) || undefined);
    if (response.status === 401 && !quiet401) apiEvents.dispatchEvent(new CustomEvent("unauthenticated"));
    throw error;
  }
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, query, options) => api("GET", path, { ...options, query });
export const post = (path, body, options) => api("POST", path, { ...options, body });

/**
 * Uploads `file` as the raw body of a POST (the attachments endpoints take bytes, not forms),
 * reporting progress through onProgress(0…1). XMLHttpRequest, because fetch has no upload progress.
 * Resolves to the JSON answer; rejects with ApiError (status 0 when the network failed).
 */
export function upload(path, query, file, { onProgress, signal } = {}) {
  const url = withQuery(path, query);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body = null;
      try { body = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else {
        if (xhr.status === 401) apiEvents.dispatchEvent(new CustomEvent("unauthenticated"));
        reject(new ApiError(xhr.status, body));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, { code: "network" }));
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(file);
  });
}
