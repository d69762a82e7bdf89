// The recruiter's session: access and refresh tokens in sessionStorage, every request with the
// bearer token, and one refresh on a 401. A refresh token is single use and reusing one revokes
// its family, so concurrent 401s share one refresh and a request whose token was already
// replaced simply retries with the new one.
import { ApiError, request, type RequestOptions } from '../api';
import type { TokenPair } from '../types';

const ACCESS_KEY = 'interviewer.access_token';
const REFRESH_KEY = 'interviewer.refresh_token';

export class Session {
  private refreshing: Promise<boolean> | null = null;

  /** `onSignedOut` runs when the session cannot be renewed. */
  constructor(private readonly onSignedOut: () => void) {}

  get signedIn(): boolean {
    return this.access !== null;
  }

  private get access(): string | null {
    return sessionStorage.getItem(ACCESS_KEY);
  }

  private store(pair: TokenPair): void {
    sessionStorage.setItem(ACCESS_KEY, pair.access_token);
    sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
  }

  private clear(): void {
    sessionStorage.removeItem(ACCESS_KEY);
    sessionStorage.removeItem(REFRESH_KEY);
  }

  async login(username: string, password: string): Promise<void> {
    const pair = await request<TokenPair>('/auth/login', { json: { username, password } });
    this.store(pair);
  }

  async logout(): Promise<void> {
    const token = this.access;
    this.clear();
    if (token) {
      await request('/auth/logout', { method: 'POST', token }).catch(() => undefined);
    }
  }

  /** An authenticated request; renews the access token once when it has expired. */
  async api<T>(path: string, options: Omit<RequestOptions, 'token'> = {}): Promise<T> {
    const used = this.access;
    try {
      return await request<T>(path, { ...options, token: used });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      const current = this.access;
      const renewed = current !== null && current !== used ? true : await this.refresh();
      if (!renewed) {
        this.signOut();
        throw err;
      }
      try {
        return await request<T>(path, { ...options, token: this.access });
      } catch (again) {
        if (again instanceof ApiError && again.status === 401) this.signOut();
        throw again;
      }
    }
  }

  private refresh(): Promise<boolean> {
    this.refreshing ??= this.renew().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async renew(): Promise<boolean> {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    if (!refreshToken) return false;
    try {
      this.store(
        await request<TokenPair>('/auth/refresh-token', { json: { refresh_token: refreshToken } }),
      );
      return true;
    } catch {
      return false;
    }
  }

  private signOut(): void {
    if (!this.signedIn) return;
    this.clear();
    this.onSignedOut();
  }
}
