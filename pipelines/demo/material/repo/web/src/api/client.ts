import { z } from "zod";

const BASE_URL = import.meta.env.VITE_API_URL ?? "https://api.acme.com/v1";

export class ApiError extends Error {
  constructor(public status: number, public body: unknown) {
    super(`API request failed with ${status}`);
  }
}

async function request<T>(path: string, schema: z.ZodType<T>, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${BASE_URL}${path}`, {
    ...init,
    credentials: "include",
    headers: { "Content-Type": "application/json", ...(init.headers ?? {}) },
  });
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get("Retry-After") ?? "1");
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    return request(path, schema, init);
  }
  if (!response.ok) {
    throw new ApiError(response.status, await response.json().catch(() => null));
  }
  return schema.parse(await response.json());
}

export const Project = z.object({ id: z.string(), name: z.string(), archived: z.boolean() });
export const ProjectPage = z.object({
  items: z.array(Project),
  next_cursor: z.string().nullable(),
});

export async function listProjects(cursor?: string) {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
  return request(`/projects${query}`, ProjectPage);
}
