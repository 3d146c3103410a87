import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    // Secrets never reach the log, whatever a caller passes in.
    redact: {
      paths: [
        '*.apiKey',
        '*.api_key',
        'apiKey',
        'headers["x-api-key"]',
        'headers.authorization',
        '*.secret',
        '*.password',
      ],
      censor: '[redacted]',
    },
  });
}
