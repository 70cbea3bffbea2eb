import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, of, switchMap, type Observable } from 'rxjs';
import { CacheService, engineOf } from '../cache.service.js';
import type { CacheEngine } from '../engine/cache.engine.js';
import { plannedRead } from '../engine/read-source.interface.js';
import { parseDuration } from '../options/duration.parser.js';
import type { LoaderContext } from '../read-through/loader-context.js';
import type { ReadThroughPlan } from '../read-through/read-through.js';
import { applyCacheHeaders, matchesIfNoneMatch, type HttpCacheStatus } from './http-cache.headers.js';
import { HTTP_KEY_PREFIX, defaultRequestKey, withVary } from './http-cache.key.js';
import { requestHeader, type HttpRequestLike, type HttpResponseLike } from './http-cache.platform.js';
import { compileRoute, type HttpCacheRoute } from './http-cache.route.js';
import { hasCredentials, isCacheableMethod, responseBypassReason, type BypassReason } from './http-cache.safety.js';
import { cachedResponse, isCachedResponse, type HttpCachedResponse, type UncacheableResponse } from './http-cached-response.js';

type Loaded = HttpCachedResponse | UncacheableResponse;

/**
 * Caches successful `GET`/`HEAD` responses through the cache's tiers, bus, stampede protection and grace.
 * Bind it per handler or controller (`@UseInterceptors(HttpCacheInterceptor)`) or globally
 * (`APP_INTERCEPTOR`). Sends `X-Cache`, `ETag`, `Age` and `Cache-Control`, answers `304` to a matching
 * `If-None-Match`, and never caches personal or unsuccessful responses (see README, "HTTP caching").
 * Subclass and override {@link trackBy} to build keys yourself. In an application without `CacheModule`
 * (a unit test of the controller) it passes every request through and logs one warning.
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  private readonly logger = new Logger('HttpCache');
  // NOTE: per class, then per handler: controllers inheriting one handler may differ by class-level decorators.
  private readonly routes = new WeakMap<object, Map<object, HttpCacheRoute>>();
  private readonly warned = new Set<string>();
  private readonly engine: CacheEngine | undefined;

  // NOTE: optional like the decorators' cache, so a controller tested without CacheModule still answers;
  // `@Inject` because the metadata TypeScript emits for a union type names `Object`, not the class.
  constructor(
    @Optional() @Inject(CacheService) protected readonly cache: CacheService | undefined,
    protected readonly reflector: Reflector,
  ) {
    this.engine = cache === undefined ? undefined : engineOf(cache);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    if (this.engine === undefined) return this.uncovered(context, next);
    const route = this.route(context);
    const request = context.getArgByIndex<HttpRequestLike>(0);
    if (route.disabled || !isCacheableMethod(request)) return next.handle();
    if (route.usesResponse) return this.bypass(next, 'stream', `${route.name} uses @Res()`);
    if (!route.perUser && hasCredentials(request)) return this.bypass(next, 'credentials');
    if (route.dynamic) return this.resolveAndServe(context, next, route, request);
    const key = this.keyOf(context, route, request);
    if (key === undefined) return this.bypass(next, 'no-key');
    return this.serve(context, next, route, key, route.ttl);
  }

  /** The key of a request without `@CacheKey` (the `http:` prefix is added); by default path + sorted query string. */
  protected trackBy(context: ExecutionContext): string | undefined {
    return defaultRequestKey(context.getArgByIndex<HttpRequestLike>(0));
  }

  private async resolveAndServe(
    context: ExecutionContext,
    next: CallHandler,
    route: HttpCacheRoute,
    request: HttpRequestLike,
  ): Promise<Observable<unknown>> {
    const key = route.keyFactory ? await this.factoryKey(route.keyFactory(context), request, route) : this.keyOf(context, route, request);
    if (key === undefined) return this.bypass(next, 'no-key');
    const ttl = route.ttlFactory ? parseDuration(await route.ttlFactory(context), `@CacheTTL on ${route.name}`) : route.ttl;
    return this.serve(context, next, route, key, ttl);
  }

  private async factoryKey(key: Promise<string | undefined> | string | undefined, request: HttpRequestLike, route: HttpCacheRoute): Promise<string | undefined> {
    const resolved = await key;
    return resolved === undefined || resolved === '' ? undefined : withVary(resolved, request, route.vary);
  }

  private keyOf(context: ExecutionContext, route: HttpCacheRoute, request: HttpRequestLike): string | undefined {
    // NOTE: a key given with @CacheKey is used as is (like @nestjs/cache-manager), so `del(key)` and
    // `CacheService.delete(key)` reach it; a URL-derived key gets the `http:` prefix.
    const key = route.key === undefined ? this.trackBy(context) : route.key(request);
    if (key === undefined || key === '') return undefined;
    return withVary(route.key === undefined ? HTTP_KEY_PREFIX + key : key, request, route.vary);
  }

  private serve(
    context: ExecutionContext,
    next: CallHandler,
    route: HttpCacheRoute,
    key: string,
    ttl: number | undefined,
  ): Observable<unknown> {
    const engine = this.engine as CacheEngine;
    const entry = engine.peekFresh<Loaded>(key);
    if (entry !== undefined && isCachedResponse(entry.value)) return this.respond(context, route, entry.value, 'HIT');
    const tags = route.tags(context.getArgByIndex<HttpRequestLike>(0));
    if (tags === undefined) return this.bypass(next, 'no-key');
    let produced: HttpCachedResponse | UncacheableResponse | undefined;
    const plan: ReadThroughPlan = {
      ttl: ttl ?? engine.defaults.ttl,
      grace: engine.defaults.grace,
      tags,
      timeout: undefined,
      shouldCache: undefined,
    };
    const loader = async (loading: LoaderContext<Loaded>): Promise<Loaded> => {
      produced = await this.load(context, next, route, loading, plan);
      return produced;
    };
    return from(engine.read(key, plannedRead<Loaded>(), loader, plan)).pipe(
      switchMap((loaded) => {
        if (!isCachedResponse(loaded)) return loaded === produced ? of(loaded.body) : next.handle();
        const mine = produced !== undefined && isCachedResponse(produced) && produced.etag === loaded.etag && produced.storedAt === loaded.storedAt;
        const status: HttpCacheStatus = mine ? 'MISS' : loaded.storedAt + loaded.ttl <= Date.now() ? 'STALE' : 'HIT';
        return this.respond(context, route, loaded, status);
      }),
    );
  }

  /** Runs the handler once for every waiting request; a response that must not be stored is passed on uncached. */
  private async load(
    context: ExecutionContext,
    next: CallHandler,
    route: HttpCacheRoute,
    loading: LoaderContext<Loaded>,
    plan: ReadThroughPlan,
  ): Promise<Loaded> {
    const response = context.getArgByIndex<HttpResponseLike>(1);
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      if (route.notFoundTtl === undefined || !(error instanceof HttpException) || error.getStatus() !== HttpStatus.NOT_FOUND) throw error;
      loading.setTtl(route.notFoundTtl);
      loading.setGrace(0);
      return cachedResponse(HttpStatus.NOT_FOUND, error.getResponse(), { ttl: route.notFoundTtl, grace: 0 }, undefined);
    }
    const reason = body === undefined ? 'empty' : responseBypassReason(response, body);
    if (reason !== undefined) {
      loading.skipCache();
      this.countBypass(reason, route.name);
      return { uncacheable: true, body };
    }
    const cacheControl = response.getHeader('Cache-Control');
    return cachedResponse(response.statusCode, body, plan, typeof cacheControl === 'string' ? cacheControl : undefined);
  }

  private respond(context: ExecutionContext, route: HttpCacheRoute, entry: HttpCachedResponse, status: HttpCacheStatus): Observable<unknown> {
    // NOTE: the request and response by index: `switchToHttp()` assigns three new closures on every call.
    const request = context.getArgByIndex<HttpRequestLike>(0);
    const response = context.getArgByIndex<HttpResponseLike>(1);
    const stats = (this.engine as CacheEngine).stats.http;
    if (status === 'MISS') stats.misses += 1;
    else if (status === 'HIT') stats.hits += 1;
    else stats.stale += 1;
    applyCacheHeaders(response, entry, status, route, Date.now());
    if (matchesIfNoneMatch(requestHeader(request, 'if-none-match'), entry.etag)) {
      // NOTE: a web Response is sent as the whole answer by Nest on Express and Fastify alike.
      return of(new Response(null, { status: HttpStatus.NOT_MODIFIED }));
    }
    if (entry.status === HttpStatus.NOT_FOUND) throw new HttpException(entry.body as Record<string, unknown>, HttpStatus.NOT_FOUND);
    return of(entry.body);
  }

  private bypass(next: CallHandler, reason: BypassReason, warning?: string): Observable<unknown> {
    this.countBypass(reason, warning);
    return next.handle();
  }

  private countBypass(reason: BypassReason, warning: string | undefined): void {
    if (this.engine !== undefined) this.engine.stats.http.bypassed += 1;
    if (reason !== 'stream' || warning === undefined || this.warned.has(warning)) return;
    this.warned.add(warning);
    this.logger.warn(`${warning}: its responses are passed through uncached`);
  }

  private uncovered(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const location = `${context.getClass().name}.${context.getHandler().name}`;
    if (!this.warned.has(location)) {
      this.warned.add(location);
      this.logger.warn(`${location} runs uncached: no CacheModule in this application; import CacheModule.forRoot() to cache its responses`);
    }
    return next.handle();
  }

  private route(context: ExecutionContext): HttpCacheRoute {
    const controller = context.getClass();
    let routes = this.routes.get(controller);
    if (routes === undefined) {
      routes = new Map();
      this.routes.set(controller, routes);
    }
    const handler = context.getHandler();
    let route = routes.get(handler);
    if (route === undefined) {
      route = compileRoute(context, this.reflector, this.routeUsesResponse(context));
      routes.set(handler, route);
    }
    return route;
  }

  private routeUsesResponse(context: ExecutionContext): boolean {
    const metadata = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), context.getHandler().name) as
      | Record<string, unknown>
      | undefined;
    return Object.keys(metadata ?? {}).some((slot) => {
      const type = Number(slot.split(':')[0]);
      return type === RouteParamtypes.RESPONSE || type === RouteParamtypes.NEXT;
    });
  }
}
