import { Controller, Get, HttpException, HttpStatus, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import { ApiHtml, ApiId, ApiPageErrors, ApiRedirect } from '../common/api-docs.js';
import { FailureLimiter } from '../common/rate-limit.js';
import { RateLimitStore } from '../common/rate-limit.store.js';
import { UuidPipe } from '../common/uuid.pipe.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PROCESSORS } from '../inventory/inventory.js';
import { esc } from '../mail/html.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { CreateRequestDto, normaliseEmail } from '../requests/requests.dto.js';
import { RECEIVED, RequestsService } from '../requests/requests.service.js';
import { hashToken } from '../requests/tokens.js';
import { isSystemKey, SYSTEM_LABELS } from '../systems/keys.js';

const HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

const STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:720px;margin:24px auto;padding:0 16px;color:#1a1a1a;line-height:1.5}
a{color:#0b57d0}a:focus,button:focus,input:focus{outline:3px solid #e37400;outline-offset:2px}
fieldset{border:1px solid #c7c7c7;padding:10px 14px;margin:12px 0}legend{font-weight:700}label{display:block;margin:6px 0}
input[type=email]{font:inherit;padding:6px;border:1px solid #767676;border-radius:3px;width:100%;max-width:420px}
button{font:inherit;padding:8px 16px;border-radius:4px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
.warn{background:#fff4e5;border-left:4px solid #b06000;padding:8px 12px}.error{background:#fce8e6;border-left:4px solid #b3261e;padding:8px 12px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #c7c7c7;padding:6px;text-align:left}th{background:#eef0f3}.muted{color:#555;font-size:14px}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

// What a task's state means to the person whose request it is.
const PROGRESS: Record<string, string> = {
  queued: 'waiting to start',
  running: 'in progress',
  waiting: 'the provider has our request and carries it out on its own schedule; we are following it',
  failed: 'could not be reached yet: we keep trying',
  cancelled: 'stopped',
};
const OUTCOME: Record<string, string> = {
  found: 'done: data found (it is in your report)',
  not_found: 'done: no data about you there',
  erased: 'done: erased',
  retained: 'done: erased, except what the law or the provider keeps (your confirmation says what and why)',
  restorable: 'done: removed, but the provider can restore it for a short time',
  scheduled: 'done on our side: the provider carries out the deletion on its own schedule',
  action_required: 'being completed by our staff',
  forwarded: 'done: our staff forwarded the provider\'s own answer to you',
  not_configured: 'being handled by our staff',
};

/** The confirmation form's body. */
class ConfirmForm {
  @ApiProperty({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'The token from the e-mailed link' })
  token!: string;
}

/**
 * The subject's pages: the request form at `/`, and the page the e-mailed link opens. That page
 * says what is being asked before the person confirms (for an erasure: deleted at the product and
 * at each named processor, what is kept by law, and that it cannot be undone), confirms with a
 * plain form (no JavaScript; GET never verifies, mail scanners follow links), and afterwards shows
 * the request's progress per system instead of the button.
 */
@ApiTags('subject pages')
@ApiProduces('text/html')
@Controller()
export class SubjectPagesController {
  private readonly wrongTokens: FailureLimiter;

  constructor(
    private readonly requests: RequestsService,
    private readonly prisma: PrismaService,
    store: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.wrongTokens = new FailureLimiter(store, 'wrong-token', config.rateLimit.wrongTokensPerMinute, 'wrong verification links');
  }

  @Get()
  @ApiOperation({ summary: 'The request form (HTML)' })
  @ApiHtml(200, 'The form')
  form(@Res() res: Response): void {
    res.status(200).set(HEADERS).send(this.formPage());
  }

  @Post()
  @ApiOperation({ summary: 'The request form\'s submission (HTML form post)', description: 'Same as POST /v1/requests, answered with a page.' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: CreateRequestDto })
  @ApiHtml(202, 'Check your inbox: a confirmation link is on its way (the same page whether or not the address is known)')
  @ApiPageErrors([[400, 'The form again, saying what to correct']], [413, 415, 429])
  async submit(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const dto = plainToInstance(CreateRequestDto, { type: body.type, email: body.email });
    const errors = await validate(dto, { whitelist: true });
    if (errors.length) {
      const error = errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; ');
      res.status(400).set(HEADERS).send(this.formPage(error, body));
      return;
    }
    await this.requests.submit(dto.type, normaliseEmail(dto.email));
    res.status(202).set(HEADERS).send(page('Check your inbox', `<h1>Check your inbox</h1><p>${esc(RECEIVED.message)}</p>
<p>The link is valid for ${Math.round(this.config.verificationTtlMs / 3_600_000)} hours. Nothing happens until you open it and confirm.</p>`));
  }

  @Get('v1/requests/:id/verify')
  @ApiOperation({ summary: 'The page the e-mailed link opens', description: 'Says what confirming means, with a button that confirms (POST /v1/requests/{id}/confirm); it never verifies by itself (mail scanners follow links). Once confirmed, it shows the request\'s progress.' })
  @ApiId()
  @ApiQuery({ name: 'token', required: true, description: 'The token from the e-mailed link', schema: { type: 'string', minLength: 16, maxLength: 128 } })
  @ApiHtml(200, 'The confirmation page, or the progress page once confirmed')
  @ApiPageErrors(
    [[400, 'The link is incomplete'], [403, 'The link is not valid'], [410, 'The link has expired'], [429, 'Too many wrong links from this client']],
    [404, 429],
  )
  async link(@Param('id', UuidPipe) id: string, @Query('token') token: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
      return this.error(res, 400, 'This link is incomplete: open it exactly as it is in the e-mail.');
    }
    try {
      await this.wrongTokens.check(req);
    } catch (err) {
      return this.error(res, 429, (err as Error).message);
    }
    const link = await this.prisma.verificationToken.findUnique({ where: { tokenHash: hashToken(token) } });
    const r = await this.prisma.dsarRequest.findUnique({ where: { id }, include: { tasks: { orderBy: { system: 'asc' } } } });
    if (!r || !link || link.requestId !== id) {
      await this.wrongTokens.failed(req);
      return this.error(res, 403, 'This link is not valid. Open the link from the most recent e-mail we sent you.');
    }
    if (r.status === 'awaiting_verification' && !link.usedAt) {
      if (link.expiresAt <= new Date()) return this.error(res, 410, 'This link has expired. Submit your request again to get a new one.');
      return this.send(res, 200, this.confirmPage(r.id, r.type, token));
    }
    return this.send(res, 200, this.progressPage(r));
  }

  @Post('v1/requests/:id/confirm')
  @ApiOperation({ summary: 'The confirmation button (HTML form post): verifies the request, then back to its page' })
  @ApiId()
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: ConfirmForm })
  @ApiRedirect('Confirmed: to the request\'s page (GET /v1/requests/{id}/verify?token=…)')
  @ApiPageErrors(
    [[400, 'The form is incomplete'], [403, 'Wrong token'], [404, 'No such request'], [409, 'Not awaiting verification'], [410, 'The link has expired'], [429, 'Too many wrong links']],
    [404, 413, 415, 429],
  )
  async confirm(@Param('id', UuidPipe) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const token = (req.body as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(token)) return this.error(res, 400, 'This form is incomplete: open the link from the e-mail again.');
    try {
      await this.wrongTokens.check(req);
      await this.requests.verify(id, token);
    } catch (err) {
      if ((err as { wrongToken?: boolean }).wrongToken) await this.wrongTokens.failed(req);
      if (!(err instanceof HttpException)) throw err;
      const b = err.getResponse() as { message?: string };
      return this.error(res, err.getStatus(), b.message ?? err.message);
    }
    res.redirect(303, `/v1/requests/${id}/verify?token=${encodeURIComponent(token)}`);
  }

  private formPage(error?: string, values: Record<string, unknown> = {}): string {
    const checked = (v: string) => (values.type === v ? ' checked' : '');
    return page('Your personal data', `<h1>Ask about your personal data</h1>
<p>${esc(this.config.controller.name)} holds personal data about the people who use its product. You may ask for a copy of it (GDPR Art. 15) or for it to be erased (Art. 17). We answer within one month.</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/">
<fieldset><legend>What would you like?</legend>
<label><input type="radio" name="type" value="access" required${checked('access')}> A copy of my personal data</label>
<label><input type="radio" name="type" value="erasure"${checked('erasure')}> Erase my personal data</label></fieldset>
<label for="email">Your e-mail address (the one you use with our product)</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${esc(String(values.email ?? ''))}">
<p class="muted">We will send a link to this address: only someone who can read its e-mail can confirm the request.</p>
<p><button type="submit">Send request</button></p></form>`);
  }

  private confirmPage(id: string, type: 'access' | 'erasure', token: string): string {
    const processors = Object.values(PROCESSORS).filter((p) => p.inMap.includes('current') || p.hostsAllData);
    const names = processors.map((p) => `<li>${esc(p.name)}</li>`).join('');
    const what =
      type === 'access'
        ? `<h1>Confirm: a copy of your personal data</h1>
<p>If you confirm, we will gather the personal data we hold about you — in our product and at each company that processes data for us:</p><ul>${names}</ul>
<p>You will receive an e-mail with a link to your report (readable, and downloadable as JSON and CSV). The link works for ${Math.round(this.config.reportLinkMs / 86_400_000)} days, then we delete the report.</p>`
        : `<h1>Confirm: erase your personal data</h1>
<p class="warn"><b>This cannot be undone.</b> Your account, its profile, billing profile, project roles and activity history will be deleted, and you will no longer be able to sign in.</p>
<p>If you confirm, we will delete your personal data in our product and ask each company that processes data for us to delete it too:</p><ul>${names}</ul>
<p>What we keep, and why:</p><ul>
<li>Issued invoices (billing name, address, payer ID, plan, amount): tax and accounting law requires us to keep them for the statutory period (GDPR Art. 17(3)(b)).</li>
<li>Content and comments you wrote in shared projects stay in those projects without your name (they belong to the project's organisation).</li>
<li>Some providers keep records for a limited time after deletion (for example sign-in logs, or a short period during which a deletion can be undone); your confirmation e-mail lists each one, why, and until when.</li>
<li>The record that you made this request (accountability), for three years.</li></ul>`;
    return page('Confirm your request', `${what}
<form method="post" action="/v1/requests/${esc(id)}/confirm"><input type="hidden" name="token" value="${esc(token)}">
<p><button type="submit">Confirm my request</button></p></form>
<p class="muted">Did not ask for this? Close this page: nothing happens without your confirmation. Reference: ${esc(id)}</p>`);
  }

  private progressPage(r: { id: string; type: string; status: string; dueAt: Date; tasks: { system: string; status: string; outcome: string | null }[] }): string {
    const rows = r.tasks
      .map((t) => {
        const label = isSystemKey(t.system) ? SYSTEM_LABELS[t.system] : t.system;
        const state = t.status === 'done' || t.status === 'skipped' ? (OUTCOME[t.outcome ?? ''] ?? `done: ${t.outcome ?? ''}`) : (PROGRESS[t.status] ?? t.status);
        return `<tr><td>${esc(label)}</td><td>${esc(state)}</td></tr>`;
      })
      .join('');
    const overall: Record<string, string> = {
      verified: 'Confirmed: we are starting.',
      in_progress: 'In progress.',
      awaiting_action: 'Almost done: our staff are completing the last steps.',
      failed: 'In progress: some systems could not be reached yet, we keep trying.',
      completed: 'Done: we have e-mailed you the result.',
      denied: 'Closed: we have written to you why.',
    };
    return page('Your request', `<h1>Your ${r.type === 'access' ? 'access' : 'erasure'} request</h1>
<p><b>${esc(overall[r.status] ?? r.status)}</b> We answer by ${esc(r.dueAt.toISOString().slice(0, 10))} at the latest.</p>
${rows ? `<table><caption class="muted">Where your data is, and how far each has got</caption><tr><th scope="col">Where</th><th scope="col">Progress</th></tr>${rows}</table>` : '<p>We are preparing the list of systems.</p>'}
<p class="muted">Reference: ${esc(r.id)}. You can come back to this page with the same link.</p>`);
  }

  private error(res: Response, status: number, message: string): void {
    this.send(res, status, page('Your request', `<h1>Your request</h1><p class="error" role="alert">${esc(message)}</p><p><a href="/">Make a new request</a></p>`));
  }

  private send(res: Response, status: number, html: string): void {
    res.status(status).set(HEADERS).send(html);
  }
}
