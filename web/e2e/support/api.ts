// The recruiter's side through the real API: an account, a role, a resume, interviews and
// invites, set up with Playwright's `request` (same origin as the pages).
import { expect, type APIRequestContext, type APIResponse } from '@playwright/test';
import { resumePdf } from './pdf';

/** What `POST /interviews/{id}/invites` answers. */
export interface Invite {
  id: string;
  interview_id: string;
  token: string;
  path: string;
  url: string;
  expires_at: string;
}

/** The role every test interview is for: three skills and a two-dimension rubric. */
export const ROLE = {
  name: 'Backend Engineer',
  description: 'Builds and runs the payment platform.',
  category: 'Engineering',
  experience_level: 'Senior',
  required_skills: [
    { name: 'Rust', level: 'Expert' },
    { name: 'PostgreSQL', level: 'Advanced' },
    { name: 'Kubernetes', level: 'Intermediate' },
  ],
  interview_structure: { technical: 2, behavioral: 1, coding: 1 },
  rubric: [
    { name: 'Technical depth', weight: 2 },
    { name: 'Communication', weight: 1 },
  ],
};

async function json<T>(response: APIResponse, what: string): Promise<T> {
  const body = await response.text();
  expect(response.ok(), `${what}: HTTP ${response.status()} ${body.slice(0, 300)}`).toBe(true);
  return JSON.parse(body) as T;
}

/** A freshly registered recruiter with a bearer token. */
export class Recruiter {
  private constructor(
    private readonly request: APIRequestContext,
    readonly email: string,
    readonly password: string,
    private readonly token: string,
  ) {}

  static async register(request: APIRequestContext, label: string): Promise<Recruiter> {
    const unique = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const email = `${label}-${unique}@example.com`;
    const password = `Lantern-Orbit-${unique}-93`;
    await json(
      await request.post('/api/v1/auth/register', {
        data: { email, password, full_name: 'Grace Recruiter' },
      }),
      'register',
    );
    const login = await json<{ access_token: string }>(
      await request.post('/api/v1/auth/login', { data: { username: email, password } }),
      'login',
    );
    return new Recruiter(request, email, password, login.access_token);
  }

  private get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  async get<T>(path: string): Promise<T> {
    return json<T>(await this.request.get(path, { headers: this.headers }), `GET ${path}`);
  }

  async post<T>(path: string, data: unknown): Promise<T> {
    return json<T>(
      await this.request.post(path, { headers: this.headers, data }),
      `POST ${path}`,
    );
  }

  async createRole(): Promise<string> {
    return (await this.post<{ id: string }>('/api/v1/roles', ROLE)).id;
  }

  async uploadResume(): Promise<string> {
    const response = await this.request.post('/api/v1/resumes/upload', {
      headers: this.headers,
      multipart: {
        file: { name: 'ada-lovelace.pdf', mimeType: 'application/pdf', buffer: resumePdf() },
      },
    });
    return (await json<{ id: string }>(response, 'resume upload')).id;
  }

  /** A two-minute interview for `roleId` (and the resume, when given). */
  async createInterview(roleId: string, resumeId?: string): Promise<string> {
    const body: Record<string, unknown> = {
      title: 'Backend Engineer - Ada Lovelace',
      role_id: roleId,
      position: 'Backend Engineer',
      candidate_name: 'Ada Lovelace',
      candidate_email: 'ada.lovelace@example.com',
      language: 'en',
      duration_minutes: 2,
    };
    if (resumeId) body.resume_id = resumeId;
    return (await this.post<{ id: string }>('/api/v1/interviews', body)).id;
  }

  async createInvite(interviewId: string, body: Record<string, unknown> = {}): Promise<Invite> {
    const response = await this.request.post(`/api/v1/interviews/${interviewId}/invites`, {
      headers: this.headers,
      data: body,
    });
    const text = await response.text();
    expect(response.status(), `create invite: ${text.slice(0, 300)}`).toBe(201);
    const invite = JSON.parse(text) as Invite;
    expect(invite.path).toBe(`/i/${invite.token}`);
    return invite;
  }

  /** Ends the interview (closes its room, if any): cleanup, or an `ended` invite. */
  async complete(interviewId: string): Promise<void> {
    await this.post(`/api/v1/interviews/${interviewId}/complete`, {});
  }

  /** Cleanup after a test: ends the interview if it still runs; never throws. */
  async endQuietly(interviewId: string): Promise<void> {
    await this.request
      .post(`/api/v1/interviews/${interviewId}/complete`, { headers: this.headers, data: {} })
      .catch(() => undefined);
  }
}

/** `GET /invites/{token}` without credentials: its status and JSON body. */
export async function readInvite(
  request: APIRequestContext,
  token: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await request.get(`/api/v1/invites/${encodeURIComponent(token)}`);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text.slice(0, 200) };
  }
  return { status: response.status(), body };
}
