// The public invite endpoints: the link's token is the candidate's only credential.
import { ApiError, request } from '../api';
import type { CodeSubmitted, ConsentRecord, InvitePage, JoinResponse } from '../types';

export type InviteErrorReason = 'expired' | 'ended' | 'invalid';

function path(token: string, rest = ''): string {
  return `/invites/${encodeURIComponent(token)}${rest}`;
}

export function readInvite(token: string): Promise<InvitePage> {
  return request<InvitePage>(path(token));
}

export function giveConsent(token: string, version: string): Promise<ConsentRecord> {
  return request<ConsentRecord>(path(token, '/consent'), { json: { version } });
}

export function joinInterview(token: string): Promise<JoinResponse> {
  return request<JoinResponse>(path(token, '/join'), { json: {} });
}

export function submitCode(token: string, language: string, code: string): Promise<CodeSubmitted> {
  return request<CodeSubmitted>(path(token, '/code'), { json: { language, code } });
}

/** Why a link cannot be used, when the error says so; null for other failures. */
export function inviteErrorReason(err: unknown): InviteErrorReason | null {
  if (!(err instanceof ApiError)) return null;
  if (err.status === 404) return 'invalid';
  if (err.status === 410) return err.reason === 'ended' ? 'ended' : 'expired';
  return null;
}
