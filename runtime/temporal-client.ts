import {
  Client,
  type ClientOptions,
  Connection,
  type ConnectionOptions,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';

/**
 * How the API talks to Temporal. The SDK's default retries an unreachable server ten times
 * (about 18 s) before it fails a call; a client waiting for its HTTP answer is better served by
 * a 503 with Retry-After, so a call retries five times (about 2 s, enough for a blip or a
 * frontend restart) and then fails. gRPC's reconnect backoff grows to 120 s by default, which
 * would keep the API failing for up to two minutes after Temporal is back: capped at 5 s.
 */
export function temporalConnectionOptions(address: string): ConnectionOptions {
  return {
    address,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 5 }))],
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 5_000 },
  };
}

export async function connectTemporalClient(
  address: string,
  namespace: string,
  /** Tracing's client interceptors (runtime/tracing.ts), when it is on. */
  interceptors?: ClientOptions['interceptors'],
): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(address));
  return new Client({ connection, namespace, ...(interceptors ? { interceptors } : {}) });
}
