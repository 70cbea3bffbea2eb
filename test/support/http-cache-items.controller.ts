import { Controller, Get, Header, Injectable, NotFoundException, Param, Res, ServiceUnavailableException, UseInterceptors } from '@nestjs/common';
import { of } from 'rxjs';
import { CacheKey, CacheNotFound, CacheTTL, CacheTags, CacheVary, HttpCacheInterceptor, NoCache } from '../../libs/cache/src/index.js';

/** The response members the handlers below use, common to Express and Fastify. */
interface Response {
  header(name: string, value: string): void;
  send(body: unknown): void;
}

/** Counts handler runs, so a test sees whether a response came from the cache. */
@Injectable()
export class Calls {
  readonly counts = new Map<string, number>();
  next(name: string): number {
    const count = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, count);
    return count;
  }
  of(name: string): number {
    return this.counts.get(name) ?? 0;
  }
}

@Controller('items')
@UseInterceptors(HttpCacheInterceptor)
export class ItemsController {
  constructor(private readonly calls: Calls) {}

  @Get('value')
  value(): { run: number } {
    return { run: this.calls.next('value') };
  }

  @Get('observable')
  observable() {
    return of({ run: this.calls.next('observable') });
  }

  @Get('tagged/:id')
  @CacheKey('item:{params.id}')
  @CacheTags('item:{params.id}')
  @CacheTTL('1m')
  async tagged(@Param('id') id: string): Promise<{ id: string; run: number }> {
    return { id, run: this.calls.next(`tagged:${id}`) };
  }

  @Get('short')
  @CacheTTL(300)
  short(): { run: number } {
    return { run: this.calls.next('short') };
  }

  @Get('flaky')
  @CacheTTL(300)
  flaky(): { run: number } {
    const run = this.calls.next('flaky');
    if (run > 1) throw new ServiceUnavailableException('down');
    return { run };
  }

  @Get('own-cache-control')
  @Header('Cache-Control', 'public, max-age=7')
  ownCacheControl(): { run: number } {
    return { run: this.calls.next('own-cache-control') };
  }

  @Get('private')
  @Header('Cache-Control', 'private, max-age=60')
  privateResponse(): { run: number } {
    return { run: this.calls.next('private') };
  }

  @Get('cookie')
  @Header('Set-Cookie', 'theme=dark; Path=/')
  cookie(): { run: number } {
    return { run: this.calls.next('cookie') };
  }

  @Get('passthrough')
  passthrough(@Res({ passthrough: true }) response: Response): { run: number } {
    response.header('X-Handler', 'yes');
    return { run: this.calls.next('passthrough') };
  }

  @Get('raw')
  raw(@Res() response: Response): void {
    response.send({ run: this.calls.next('raw') });
  }

  @Get('missing')
  missing(): never {
    this.calls.next('missing');
    throw new NotFoundException('no such item');
  }

  @Get('missing-cached')
  @CacheNotFound('1m')
  missingCached(): never {
    this.calls.next('missing-cached');
    throw new NotFoundException('no such item');
  }

  @Get('me')
  me(): { run: number } {
    return { run: this.calls.next('me') };
  }

  @Get('mine')
  @CacheKey('mine:{headers.authorization}')
  mine(): { run: number } {
    return { run: this.calls.next('mine') };
  }

  @Get('greeting')
  @CacheVary('Accept-Language')
  greeting(): { run: number } {
    return { run: this.calls.next('greeting') };
  }

  @Get('off')
  @NoCache()
  off(): { run: number } {
    return { run: this.calls.next('off') };
  }
}
