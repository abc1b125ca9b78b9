import type { ConnectionOptions } from 'bullmq';

/** BullMQ connection options (workers need maxRetriesPerRequest: null to block on Redis). */
export function redisOptions(redisUrl: string): ConnectionOptions {
  return { url: redisUrl, maxRetriesPerRequest: null };
}
