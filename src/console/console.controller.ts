import { applyDecorators, Controller, Get, HttpException, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCookieAuth, ApiOperation, ApiProduces, ApiProperty, ApiPropertyOptional, ApiQuery, ApiSecurity, ApiTags, IntersectionType } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import type { Actor } from '../audit/audit.js';
import { ApiHtml, ApiId, ApiPageErrors, ApiRedirect, CONSOLE_SESSION } from '../common/api-docs.js';
import { ApiError } from '../common/errors.js';
import { UuidPipe } from '../common/uuid.pipe.js';
import { RetryService } from '../fulfilment/retry.service.js';
import { esc } from '../mail/html.js';
import { OfficerActionsService } from '../officers/officer-actions.service.js';
import { OfficerAuthGuard } from '../officers/officer-auth.guard.js';
import { ACTION_OUTCOMES, CompleteActionDto, DenyDto, ExtendDto, FileRequestDto, ListRequestsQuery } from '../officers/officers.dto.js';
import { OfficersService } from '../officers/officers.service.js';
import { CHANNELS, DENIAL_REASONS, RequestAdminService } from '../officers/request-admin.service.js';
import { ConsoleSessions, type ConsoleSession } from './session.service.js';
import { badges, csrfField, day, layout, loginPage, messages, select, STATUSES } from './views.js';

const HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

type Body = Record<string, unknown>;

// ---- What the document says about the console's forms and answers ---------------------------

class LoginForm {
  @ApiProperty({ description: 'An officer API key' })
  key!: string;
}

class CsrfForm {
  @ApiProperty({ description: 'The session\'s CSRF token (every console form carries it)' })
  csrf!: string;
}

class RetryForm extends CsrfForm {
  @ApiPropertyOptional({ description: 'One data system key; every failed task when left out' })
  system?: string;
}

class FileForm extends IntersectionType(FileRequestDto, CsrfForm) {}
class CompleteForm extends IntersectionType(CompleteActionDto, CsrfForm) {}
class ExtendForm extends IntersectionType(ExtendDto, CsrfForm) {}
class DenyForm extends IntersectionType(DenyDto, CsrfForm) {}

/** A console form post (the body parser's refusals are JSON; a missing session or CSRF token is a page). */
const FormPost = (form: new () => object, done: string) =>
  applyDecorators(
    ApiConsumes('application/x-www-form-urlencoded'),
    ApiBody({ type: form }),
    ApiRedirect(done),
    ApiPageErrors(
      [[400, 'The form again, saying what to correct'], [401, 'The session has ended: the sign-in page'], [403, 'Missing or wrong CSRF token: nothing was changed'], [404, 'No such request or action'], [409, 'Not possible in the request\'s state (the request page, saying why)']],
      [404, 413, 415],
    ),
  );

/** A console page: the page, or the sign-in page when there is no session. */
const Page = (what: string) => applyDecorators(ApiHtml(200, what), ApiRedirect('No session: to the sign-in page (/console/login)'));

/**
 * The privacy officers' console: sign-in with an officer key, the request list and each request's
 * detail, and every action of the officer API (retry, complete an action, extend, deny, file a
 * request on someone's behalf), each audited under the signed-in key.
 */
@ApiTags('console')
@ApiProduces('text/html')
@ApiCookieAuth(CONSOLE_SESSION)
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly auth: OfficerAuthGuard,
    private readonly officers: OfficersService,
    private readonly retries: RetryService,
    private readonly actions: OfficerActionsService,
    private readonly admin: RequestAdminService,
  ) {}

  @Get('login')
  @ApiOperation({ summary: 'The sign-in page' })
  @ApiSecurity({})
  @ApiHtml(200, 'The sign-in form')
  @ApiRedirect('Signed in already: to /console')
  async loginForm(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (await this.sessions.current(req)) return res.redirect(303, '/console');
    this.html(res, HttpStatus.OK, loginPage());
  }

  @Post('login')
  @ApiOperation({ summary: 'Sign in with an officer API key: sets the session cookie' })
  @ApiSecurity({})
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: LoginForm })
  @ApiRedirect('Signed in (Set-Cookie: dsar_console, HttpOnly, SameSite=Strict): to /console')
  @ApiPageErrors([[401, 'Unknown or revoked key: the sign-in page again'], [429, 'Too many failed sign-ins from this client']], [400, 413, 415])
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      await this.auth.failures.check(req);
    } catch (err) {
      const retry = (err as { retryAfterSeconds?: number }).retryAfterSeconds ?? 60;
      res.setHeader('Retry-After', String(retry));
      return this.html(res, HttpStatus.TOO_MANY_REQUESTS, loginPage(`Too many failed sign-ins from this address: try again in ${retry} seconds.`));
    }
    const key = (req.body as Body)?.key;
    const session = typeof key === 'string' ? await this.sessions.signIn(key.trim(), res, req) : undefined;
    if (!session) {
      await this.auth.failures.failed(req);
      return this.html(res, HttpStatus.UNAUTHORIZED, loginPage('Unknown or revoked key.'));
    }
    res.redirect(303, '/console');
  }

  @Post('logout')
  @ApiOperation({ summary: 'Sign out (ends the session)' })
  @FormPost(CsrfForm, 'Signed out: to the sign-in page')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const s = await this.session(req, res, true);
    if (!s) return;
    await this.sessions.signOut(s, res);
    res.redirect(303, '/console/login');
  }

  @Get()
  @ApiOperation({ summary: 'The request list, oldest deadline first, with filters; or find a request by id' })
  @ApiQuery({ name: 'q', required: false, description: 'A request id: goes to that request', schema: { type: 'string' } })
  @ApiQuery({ name: 'status', required: false, schema: { type: 'string', enum: [...STATUSES] } })
  @ApiQuery({ name: 'type', required: false, schema: { type: 'string', enum: ['access', 'erasure'] } })
  @ApiQuery({ name: 'overdue', required: false, schema: { type: 'boolean' } })
  @ApiQuery({ name: 'atRisk', required: false, schema: { type: 'boolean' } })
  @ApiQuery({ name: 'openActions', required: false, schema: { type: 'boolean' } })
  @ApiQuery({ name: 'page', required: false, schema: { type: 'integer', minimum: 1 } })
  @ApiQuery({ name: 'pageSize', required: false, schema: { type: 'integer', minimum: 1, maximum: 200 } })
  @Page('The list')
  @ApiPageErrors([[400, 'A filter is not valid'], [404, 'No request with the id searched for']], [])
  async list(@Query() raw: Record<string, string>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const s = await this.session(req, res);
    if (!s) return;
    const q = Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string' && v !== ''));
    if (q.q) {
      const id = q.q.trim().toLowerCase();
      if (/^[0-9a-f-]{36}$/.test(id) && (await this.officers.exists(id))) return res.redirect(303, `/console/requests/${id}`);
      return this.html(res, HttpStatus.NOT_FOUND, layout('Requests', `<h1>Requests</h1>${messages({ error: `No request with id ${q.q}` })}<p><a href="/console">All requests</a></p>`, s));
    }
    const query = plainToInstance(ListRequestsQuery, q);
    const errors = await validate(query, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) {
      const error = errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; ');
      return this.html(res, HttpStatus.BAD_REQUEST, layout('Requests', `<h1>Requests</h1>${messages({ error })}<p><a href="/console">All requests</a></p>`, s));
    }
    const page = await this.officers.list(query);
    const bool = (name: 'overdue' | 'atRisk' | 'openActions', label: string) =>
      select(name, label, ['true', 'false'], q[name]);
    const link = (p: number) => `/console?${new URLSearchParams({ ...q, page: String(p) })}`;
    const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
    const body = `<h1>Requests</h1>
<form method="get" action="/console" role="search" class="grid">
<div><label for="q">Find by request id</label><input id="q" name="q" size="38" placeholder="request id"></div>
<div><button type="submit">Find</button></div></form>
<form method="get" action="/console" class="grid" aria-label="Filters">
${select('status', 'Status', STATUSES, q.status)}${select('type', 'Type', ['access', 'erasure'], q.type)}
${bool('overdue', 'Overdue')}${bool('atRisk', 'At risk')}${bool('openActions', 'Open actions')}
<div><button type="submit">Filter</button></div></form>
<p class="muted">${page.total} request(s). Page ${page.page} of ${pages}.</p>
<table><caption class="muted">Oldest deadline first</caption><tr><th scope="col">Request</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Received</th><th scope="col">Due</th><th scope="col">Days left</th><th scope="col">Flags</th></tr>
${page.items
  .map((r) => `<tr><td><a href="/console/requests/${esc(r.id)}">${esc(r.id)}</a></td><td>${esc(r.type)}</td><td>${esc(r.status.replace(/_/g, ' '))}</td><td>${esc(day(r.receivedAt))}</td><td>${esc(day(r.dueAt))}</td><td>${r.daysLeft ?? ''}</td><td>${badges(r)}</td></tr>`)
  .join('')}</table>
<nav aria-label="Pages">${page.page > 1 ? `<a href="${esc(link(page.page - 1))}">Previous page</a> ` : ''}${page.page < pages ? `<a href="${esc(link(page.page + 1))}">Next page</a>` : ''}</nav>`;
    this.html(res, HttpStatus.OK, layout('Requests', body, s));
  }

  @Get('new')
  @ApiOperation({ summary: 'The form to file a request on someone\'s behalf' })
  @Page('The form')
  async newForm(@Req() req: Request, @Res() res: Response): Promise<void> {
    const s = await this.session(req, res);
    if (s) this.html(res, HttpStatus.OK, this.newPage(s, {}));
  }

  @Post('new')
  @ApiOperation({ summary: 'File a request received by letter, phone or in person' })
  @FormPost(FileForm, 'Filed: to the new request\'s page')
  async file(@Req() req: Request, @Res() res: Response): Promise<void> {
    const s = await this.session(req, res, true);
    if (!s) return;
    const dto = await this.dto(FileRequestDto, req.body as Body);
    if (typeof dto === 'string') return this.html(res, HttpStatus.BAD_REQUEST, this.newPage(s, { error: dto, values: req.body as Body }));
    try {
      const r = await this.admin.fileOnBehalf(dto, { keyId: s.keyId, name: s.name });
      res.redirect(303, `/console/requests/${r.id}?done=${encodeURIComponent(`Request filed (${dto.channel}); it is being carried out.`)}`);
    } catch (err) {
      this.html(res, this.status(err), this.newPage(s, { error: this.message(err), values: req.body as Body }));
    }
  }

  @Get('requests/:id')
  @ApiOperation({ summary: 'A request: deadline, tasks, officer actions, timeline, and the forms to act on it' })
  @ApiId()
  @ApiQuery({ name: 'done', required: false, description: 'The message of an action just taken (shown on the page)', schema: { type: 'string' } })
  @Page('The request')
  @ApiPageErrors([[404, 'No such request']], [404])
  async detail(@Param('id', UuidPipe) id: string, @Query('done') done: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const s = await this.session(req, res);
    if (!s) return;
    await this.renderDetail(res, s, id, HttpStatus.OK, { done: typeof done === 'string' ? done.slice(0, 200) : undefined });
  }

  @Post('requests/:id/retry')
  @ApiOperation({ summary: 'Retry the failed tasks (all, or one system)' })
  @ApiId()
  @FormPost(RetryForm, 'Re-queued: back to the request, saying which')
  async retry(@Param('id', UuidPipe) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.act(req, res, id, async (actor, body) => {
      const system = typeof body.system === 'string' && body.system ? [body.system] : undefined;
      const r = await this.retries.retry(id, actor, { systems: system });
      return `Retrying: ${r.retried.join(', ')}.`;
    });
  }

  @Post('requests/:id/actions/:actionId/complete')
  @ApiOperation({ summary: 'Complete an officer action' })
  @ApiId()
  @ApiId('actionId', 'The officer action id')
  @FormPost(CompleteForm, 'Completed: back to the request')
  async complete(@Param('id', UuidPipe) id: string, @Param('actionId', UuidPipe) actionId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.act(req, res, id, async (actor, body) => {
      const dto = await this.dto(CompleteActionDto, { note: body.note, ...(body.outcome ? { outcome: body.outcome } : {}) });
      if (typeof dto === 'string') throw new ApiError(HttpStatus.BAD_REQUEST, 'bad_request', dto);
      await this.actions.complete(id, actionId, dto.note, actor, dto.outcome);
      return 'Action completed.';
    });
  }

  @Post('requests/:id/extend')
  @ApiOperation({ summary: 'Extend the deadline (once, by one or two months)' })
  @ApiId()
  @FormPost(ExtendForm, 'Extended: back to the request')
  async extend(@Param('id', UuidPipe) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.act(req, res, id, async (actor, body) => {
      const dto = await this.dto(ExtendDto, { months: body.months, reason: body.reason });
      if (typeof dto === 'string') throw new ApiError(HttpStatus.BAD_REQUEST, 'bad_request', dto);
      const r = await this.admin.extend(id, Number(dto.months), dto.reason, actor);
      return `Deadline extended to ${day(r.dueAt)}; the subject is being told why.`;
    });
  }

  @Post('requests/:id/deny')
  @ApiOperation({ summary: 'Deny the request' })
  @ApiId()
  @FormPost(DenyForm, 'Denied: back to the request')
  async deny(@Param('id', UuidPipe) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.act(req, res, id, async (actor, body) => {
      const dto = await this.dto(DenyDto, { reason: body.reason, ...(body.note ? { note: body.note } : {}) });
      if (typeof dto === 'string') throw new ApiError(HttpStatus.BAD_REQUEST, 'bad_request', dto);
      const r = await this.admin.deny(id, dto.reason, dto.note, actor);
      return `Request denied${r.subjectNotified ? '; the subject is being told why and how to complain' : ''}.`;
    });
  }

  // ---------------------------------------------------------------------------------------------

  /** Runs a console action: session, CSRF, the action, then back to the request with its result. */
  private async act(req: Request, res: Response, id: string, run: (actor: Actor, body: Body) => Promise<string>): Promise<void> {
    const s = await this.session(req, res, true);
    if (!s) return;
    try {
      const done = await run(`officer:${s.keyId}`, (req.body ?? {}) as Body);
      res.redirect(303, `/console/requests/${id}?done=${encodeURIComponent(done)}`);
    } catch (err) {
      if (!(err instanceof HttpException)) throw err;
      await this.renderDetail(res, s, id, this.status(err), { error: this.message(err) });
    }
  }

  /** The signed-in session; otherwise the sign-in page (GET) or a refusal (POST). POSTs need the CSRF token. */
  private async session(req: Request, res: Response, post = false): Promise<ConsoleSession | undefined> {
    const s = await this.sessions.current(req);
    if (!s) {
      if (post) this.html(res, HttpStatus.UNAUTHORIZED, loginPage('Your session has ended: sign in again. Nothing was changed.'));
      else res.redirect(303, '/console/login');
      return undefined;
    }
    if (post && !this.sessions.csrfValid(s, (req.body as Body | undefined)?.csrf)) {
      this.html(res, HttpStatus.FORBIDDEN, layout('Refused', `<h1>Refused</h1>${messages({ error: 'This form is not valid (missing or wrong security token): nothing was changed. Reload the page and try again.' })}`, s));
      return undefined;
    }
    return s;
  }

  private async dto<T extends object>(cls: new () => T, body: Body): Promise<T | string> {
    const dto = plainToInstance(cls, body);
    const errors = await validate(dto, { whitelist: true });
    return errors.length ? errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; ') : dto;
  }

  private status(err: unknown): number {
    return err instanceof HttpException ? err.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
  }

  private message(err: unknown): string {
    if (err instanceof HttpException) {
      const b = err.getResponse() as { message?: string | string[] };
      return Array.isArray(b.message) ? b.message.join('; ') : (b.message ?? err.message);
    }
    return 'Something went wrong: nothing was changed.';
  }

  private html(res: Response, status: number, body: string): void {
    res.status(status).set(HEADERS).send(body);
  }

  private newPage(s: ConsoleSession, p: { error?: string; values?: Body }): string {
    const v = (k: string) => esc(String(p.values?.[k] ?? ''));
    return layout(
      'New request',
      `<h1>File a request on someone's behalf</h1>${messages({ error: p.error })}
<p>For a request received by letter, phone or in person. It skips e-mail verification: say how you checked the person's identity.
It is recorded under your key (${esc(s.name)}).</p>
<form method="post" action="/console/new">${csrfField(s.csrfToken)}
<fieldset><legend>Type</legend>
<label><input type="radio" name="type" value="access"${v('type') === 'access' ? ' checked' : ''} required> Access (a copy of their data)</label>
<label><input type="radio" name="type" value="erasure"${v('type') === 'erasure' ? ' checked' : ''}> Erasure</label></fieldset>
<label for="email">The person's e-mail address</label><input id="email" name="email" type="email" required size="40" value="${v('email')}">
<label for="channel">Received by</label><select id="channel" name="channel" required>${CHANNELS.map((c) => `<option value="${c}"${v('channel') === c ? ' selected' : ''}>${c.replace('_', ' ')}</option>`).join('')}</select>
<label for="identityCheck">How identity was checked</label><textarea id="identityCheck" name="identityCheck" required minlength="10">${v('identityCheck')}</textarea>
<p><button type="submit">File request</button></p></form>`,
      s,
    );
  }

  private async renderDetail(res: Response, s: ConsoleSession, id: string, status: number, msg: { done?: string; error?: string }): Promise<void> {
    let r: Awaited<ReturnType<OfficersService['get']>>;
    try {
      r = await this.officers.get(id);
    } catch (err) {
      return this.html(res, this.status(err), layout('Not found', `<h1>Not found</h1>${messages({ error: this.message(err) })}<p><a href="/console">All requests</a></p>`, s));
    }
    const csrf = csrfField(s.csrfToken);
    const failed = r.tasks.filter((t) => t.status === 'failed');
    const open = r.actions.filter((a) => a.status === 'open');
    const canExtend = !r.extensionReason && ['verified', 'in_progress', 'failed', 'awaiting_action'].includes(r.status) && new Date() < new Date(r.originalDueAt ?? r.dueAt);
    const canDeny = ['awaiting_verification', 'verified', 'in_progress', 'failed', 'awaiting_action'].includes(r.status);
    const remains = (t: (typeof r.tasks)[number]) => {
      const res = t.result as { remains?: string; vendorJob?: { id?: string; status?: string; expectedBy?: string } } | null;
      return [res?.remains, res?.vendorJob ? `vendor job ${res.vendorJob.id ?? ''} ${res.vendorJob.status ?? ''}${res.vendorJob.expectedBy ? `, expected by ${res.vendorJob.expectedBy}` : ''}` : ''].filter(Boolean).join('; ');
    };
    const body = `<h1>Request ${esc(r.id)}</h1>${messages(msg)}
<p>${badges(r)}</p>
<table><tr><th scope="row">Type</th><td>${esc(r.type)}</td><th scope="row">Status</th><td>${esc(r.status.replace(/_/g, ' '))}</td></tr>
<tr><th scope="row">Received</th><td>${esc(r.receivedAt)}</td><th scope="row">Due</th><td>${esc(day(r.dueAt))} (${r.daysLeft ?? '–'} day(s) left)${r.originalDueAt ? `<br><span class="muted">extended from ${esc(day(r.originalDueAt))}: ${esc(r.extensionReason ?? '')}</span>` : ''}</td></tr>
<tr><th scope="row">Subject</th><td>${esc(r.email ?? '(no longer kept)')}</td><th scope="row">Received by</th><td>${esc(r.channel)}${r.identityCheck ? `<br><span class="muted">identity: ${esc(r.identityCheck)}</span>` : ''}</td></tr>
${r.deniedReason ? `<tr><th scope="row">Denied</th><td colspan="3">${esc(r.deniedReason)}</td></tr>` : ''}</table>

<h2>Officer actions</h2>
${r.actions.length === 0 ? '<p class="muted">None.</p>' : ''}
${r.actions
  .map((a) => `<fieldset><legend>${esc(a.system)}: ${esc(a.kind.replace(/_/g, ' '))} — ${a.status === 'open' ? `open, due ${esc(day(a.dueAt))}` : `done ${esc(day(a.completedAt))}`}</legend>
<p>${esc(a.instructions)}</p>${a.status === 'open'
    ? `<form method="post" action="/console/requests/${esc(r.id)}/actions/${esc(a.id)}/complete">${csrf}
<label for="note-${esc(a.id)}">Note: what you did</label><textarea id="note-${esc(a.id)}" name="note" required></textarea>
<div class="grid">${select('outcome', 'Outcome (if not as expected)', [...ACTION_OUTCOMES], undefined, 'as expected', `outcome-${esc(a.id)}`)}<div><button type="submit">Complete action</button></div></div></form>`
    : `<p class="muted">${esc(a.note ?? '')} (${esc(a.completedBy ?? '')})</p>`}</fieldset>`)
  .join('')}

<h2>Data systems</h2>
${failed.length ? `<form method="post" action="/console/requests/${esc(r.id)}/retry" class="inline">${csrf}<button type="submit">Retry failed (all)</button></form>` : ''}
<table><tr><th scope="col">System</th><th scope="col">Status</th><th scope="col">Outcome</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Next retry</th><th scope="col">What remains / vendor job</th><th scope="col"></th></tr>
${r.tasks
  .map((t) => `<tr><td>${esc(t.system)}</td><td>${esc(t.status)}</td><td>${esc(t.outcome ?? '')}</td><td>${t.attempts}</td><td>${t.lastError ? `${esc(t.lastError)}<br><span class="muted">${esc(t.failureKind ?? '')}</span>` : ''}</td><td>${esc(t.nextRetryAt ?? '')}</td><td>${esc(remains(t))}</td>
<td>${t.status === 'failed' ? `<form method="post" action="/console/requests/${esc(r.id)}/retry">${csrf}<input type="hidden" name="system" value="${esc(t.system)}"><button type="submit" class="secondary" aria-label="Retry ${esc(t.system)}">Retry</button></form>` : ''}</td></tr>`)
  .join('')}</table>

${canExtend ? `<h2>Extend the deadline</h2><form method="post" action="/console/requests/${esc(r.id)}/extend">${csrf}
<p class="muted">Once, by up to two further months (GDPR Art. 12(3)); the subject is e-mailed the reason and the new date.</p>
<div class="grid"><div><label for="months">By</label><select id="months" name="months"><option value="1">1 month</option><option value="2">2 months</option></select></div></div>
<label for="reason">Reason (the subject reads it)</label><textarea id="reason" name="reason" required minlength="10"></textarea>
<p><button type="submit">Extend deadline</button></p></form>` : ''}

${canDeny ? `<h2>Deny the request</h2><form method="post" action="/console/requests/${esc(r.id)}/deny">${csrf}
<p class="muted">Open tasks stop. The subject (if verified) is e-mailed the reason and their right to complain.</p>
<div class="grid">${select('reason', 'Reason for refusing', [...DENIAL_REASONS], undefined, 'choose a reason', 'denyReason')}</div>
<label for="denyNote">Note for the subject (optional)</label><textarea id="denyNote" name="note"></textarea>
<p><button type="submit" class="danger">Deny request</button></p></form>` : ''}

<h2>Timeline</h2><ol class="timeline">${r.audit
  .map((e) => `<li><time datetime="${esc(e.at)}">${esc(e.at.replace('T', ' ').slice(0, 19))}</time> — <b>${esc(e.action.replace(/_/g, ' '))}</b> by ${esc(e.actor)}${e.toStatus ? ` → ${esc(e.toStatus)}` : ''}${e.details ? ` <span class="muted">${esc(JSON.stringify(e.details))}</span>` : ''}</li>`)
  .join('')}</ol>
<p>${open.length} open action(s). <a href="/console">Back to all requests</a></p>`;
    this.html(res, status, layout(`Request ${r.id}`, body, s));
  }
}
