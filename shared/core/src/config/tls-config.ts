import { z } from 'zod';

/**
 * TLS to a server (Kafka broker or Redis) from PEM files, shared by both sections so they read
 * alike. `extra` adds server-specific fields.
 */
export function tlsSchema<T extends z.ZodRawShape>(extra: T) {
  return z
    .object({
      /** Use TLS. Default true when the section is present. */
      enabled: z.boolean().default(true),
      /** PEM files: the CA bundle to trust, and a client certificate and key for mutual TLS. */
      caFile: z.string().min(1).optional(),
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      /** Verify the server's certificate. Default true; turn off only for a test server. */
      rejectUnauthorized: z.boolean().default(true),
      ...extra,
    })
    .strict()
    .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), 'certFile and keyFile go together');
}
