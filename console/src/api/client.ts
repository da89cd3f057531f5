// The typed API client: paths and bodies come from the OpenAPI document
// weft-baas publishes (src/api/openapi.json → schema.d.ts, by
// `make console-api`), so a changed route breaks the build, not the page.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

const TOKEN_KEY = "weft.token";

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

const auth: Middleware = {
  onRequest({ request }) {
    const t = token();
    if (t) request.headers.set("Authorization", `Bearer ${t}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);
