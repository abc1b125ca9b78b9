import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { FailureLimiter } from '../common/rate-limit.js';
import { RateLimitStore } from '../common/rate-limit.store.js';
import { UuidPipe } from '../common/uuid.pipe.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { esc, page } from '../mail/html.js';
import { CreateRequestDto, normaliseEmail, VerifyRequestDto } from './requests.dto.js';
import { publicView, RECEIVED, RequestsService, type PublicRequestView } from './requests.service.js';

@Controller('v1/requests')
export class RequestsController {
  private readonly wrongTokens: FailureLimiter;

  constructor(
    private readonly requests: RequestsService,
    store: RateLimitStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.wrongTokens = new FailureLimiter(store, 'wrong-token', config.rateLimit.wrongTokensPerMinute, 'wrong verification links');
  }

  @Post()
  @HttpCode(202)
  async create(@Body() body: CreateRequestDto): Promise<typeof RECEIVED> {
    return this.requests.submit(body.type, normaliseEmail(body.email));
  }

  @Post(':id/verify')
  @HttpCode(200)
  async verify(@Param('id', UuidPipe) id: string, @Body() body: VerifyRequestDto, @Req() req: Request): Promise<PublicRequestView> {
    await this.wrongTokens.check(req);
    try {
      return publicView(await this.requests.verify(id, body.token));
    } catch (err) {
      if ((err as { wrongToken?: boolean }).wrongToken) await this.wrongTokens.failed(req);
      throw err;
    }
  }

  // The link in the verification e-mail opens this page. It does not verify by itself (mail
  // scanners follow links): the person confirms with a button, which POSTs the token.
  @Get(':id/verify')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Content-Security-Policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
  verifyPage(@Param('id', UuidPipe) id: string, @Res() res: Response): void {
    const script = `document.getElementById('go').onclick=async()=>{const t=new URLSearchParams(location.search).get('token')||'';
const r=await fetch(location.pathname,{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({token:t})});
const b=await r.json().catch(()=>({}));document.getElementById('out').textContent=r.ok?'Thank you: your request is confirmed. We will e-mail you the result.':(b.message||'Something went wrong');};`;
    res.send(
      page(
        'Confirm your request',
        `<h1>Confirm your request</h1><p>Request <code>${esc(id)}</code></p>
<button id="go">Confirm</button><p id="out"></p><script>${script}</script>`,
      ),
    );
  }

  @Get(':id')
  async status(@Param('id', UuidPipe) id: string): Promise<PublicRequestView> {
    return publicView(await this.requests.findPublic(id));
  }
}
