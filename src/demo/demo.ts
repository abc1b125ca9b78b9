// `npm run demo`: the whole fan-out without any vendor account. Starts a local fake of every
// processor, seeds the demo accounts' data into them, and runs the API and worker (scripts/start.mjs)
// with the adapters pointed at the fakes. Explicit only: missing credentials never imply this mode.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { loadConfig, loadDotEnv } from '../config/config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { enforceDocumentedLimits, seedSubject, startVendorFakes } from './fakes/index.js';

loadDotEnv();
const config = loadConfig();
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: config.databaseUrl }) });
// The fakes enforce each vendor's documented limits, and the service runs on its own defaults for
// them: what the demo shows is what a real tenant would see (an access request at Amplitude waits
// ~10 s between its calls; purges at Application Insights are 50 an hour and finish a minute later).
const fakes = await startVendorFakes({ azureManagement: { purgesPerHour: 50, autoCompleteAfterMs: 60_000 } });
enforceDocumentedLimits(fakes);
const demoEnv: Record<string, string> = {
  ...fakes.env,
  // Erasures share a purge when they arrive within 5 s of each other (default 300 s); the 50/h pace stays.
  APPINSIGHTS_PURGE_BATCH_SECONDS: '5',
};
delete demoEnv.RATE_LIMIT_AZURE_APP_INSIGHTS_PURGE;
const accounts = await prisma.account.findMany({
  where: { email: { endsWith: '@example.com' } },
  select: { email: true, userId: true, firstName: true, lastName: true, phoneNumber: true, businessRole: true, businessType: true },
});
await prisma.$disconnect();
for (const a of accounts) {
  seedSubject(fakes, {
    email: a.email,
    userId: a.userId,
    firstName: a.firstName ?? undefined,
    lastName: a.lastName ?? undefined,
    phone: a.phoneNumber ?? undefined,
    businessRole: a.businessRole ?? undefined,
    businessType: a.businessType ?? undefined,
    company: 'Example Ltd',
    country: 'United Kingdom',
  });
}
console.log(`[demo] vendor fakes running with ${accounts.length} demo subject(s): ${fakes.all.map((f) => f.name).join(', ')}`);

const start = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));
const child = spawn(process.execPath, [start], { stdio: 'inherit', env: { ...process.env, ...demoEnv } });
const stop = () => child.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code) => {
  void fakes.stop().then(() => process.exit(code ?? 0));
});
