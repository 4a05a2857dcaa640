// Interactions as Discord POSTs them to Parley's Interactions Endpoint URL (interactions mode): the JSON body,
// signed with the application's Ed25519 key over `timestamp + body` (X-Signature-Ed25519, hex) with the time in
// X-Signature-Timestamp (seconds). The test holds the key pair; Parley gets the public key as the Developer
// Portal shows it: 64 hex characters, the raw 32-byte key (the end of its SPKI DER encoding).
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { INTERACTIONS_PATH } from '../../bots/discord/paths.js';
import { jsonOrText } from './http.js';

const keys = generateKeyPairSync('ed25519');

export const PRIVATE_KEY: KeyObject = keys.privateKey;
/** PARLEY_DISCORD_PUBLIC_KEY for the key pair the tests sign with. */
export const PUBLIC_KEY: string = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');

/** A key pair that is not the application's: its signatures must be refused. */
export function otherPrivateKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

/** Discord's signature of a request: Ed25519 over `timestamp + body`, hex. */
export function signInteraction(body: string, timestamp: number | string, privateKey: KeyObject = PRIVATE_KEY): string {
  return sign(null, Buffer.from(`${timestamp}${body}`, 'utf8'), privateKey).toString('hex');
}

export interface InteractionPostOptions {
  /** Seconds since the epoch; now by default. */
  timestamp?: number;
  /** Sent instead of the right signature. */
  signature?: string;
  /** Signs with this key instead of the application's. */
  privateKey?: KeyObject;
  /** The exact body to send (the interaction is serialized otherwise). */
  raw?: string;
}

export interface InteractionAnswer {
  status: number;
  /** Parley's JSON answer (the interaction response), or the text when it is not JSON. */
  body: unknown;
  signature: string;
  timestamp: number;
}

/** POSTs an interaction to Parley as Discord does; resolves to Parley's answer. */
export async function postInteraction(parleyUrl: string, interaction: unknown, opts: InteractionPostOptions = {}): Promise<InteractionAnswer> {
  const body = opts.raw ?? JSON.stringify(interaction);
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = opts.signature ?? signInteraction(body, timestamp, opts.privateKey);
  const res = await fetch(`${parleyUrl}${INTERACTIONS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)', 'x-signature-ed25519': signature, 'x-signature-timestamp': String(timestamp) },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: await jsonOrText(res), signature, timestamp };
}

/**
 * Hands Parley's HTTP answer to the fake Discord as Discord itself takes it: as the interaction's callback, so
 * that the fake knows the interaction is acknowledged (its original response exists, follow-ups are allowed)
 * and checks the answer against Discord's spec and limits. Resolves to the fake's HTTP status.
 */
export async function relayAnswer(fakeDiscordUrl: string, interaction: { id?: unknown; token?: unknown }, answer: unknown): Promise<number> {
  const res = await fetch(`${fakeDiscordUrl}/v10/interactions/${String(interaction.id)}/${String(interaction.token)}/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(answer),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}
