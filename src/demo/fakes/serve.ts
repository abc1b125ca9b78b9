// Demo mode: `node dist/demo/fakes/serve.js [email]` starts every vendor fake, seeds one demo
// subject and prints the environment that points the adapters at them. The credentials printed
// are the fakes' own made-up values, never real ones.
import { seedSubject, startVendorFakes } from './index.js';

const fakes = await startVendorFakes();
const email = process.argv[2] ?? 'demo.subject@example.com';
seedSubject(fakes, { email, userId: 'demo-user-1', firstName: 'Demo', lastName: 'Subject', phone: '+10000000000', company: 'Demo Co', country: 'Portugal', businessRole: 'Engineer', businessType: 'Agency' });
for (const [k, v] of Object.entries(fakes.env)) process.stdout.write(`${k}=${v}\n`);
process.stdout.write('# vendor fakes running; Ctrl-C to stop\n');
const stop = () => void fakes.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
