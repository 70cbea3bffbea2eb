/**
 * What README.md's TypeScript blocks may use without importing it (see readme.spec.ts): the public
 * API, the Nest decorators and modules they show, and the sample domain of the examples.
 */
import type { HealthCheckService } from '@nestjs/terminus';
import type { CacheHealthIndicator, CacheService } from 'nestjs-tiered-cache';

export * from 'nestjs-tiered-cache';
export { Body, Controller, Delete, Get, Inject, Injectable, Module, Param, ParseIntPipe, Post, Put, UseInterceptors } from '@nestjs/common';
export { ConfigModule, ConfigService } from '@nestjs/config';
export { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
export { PrometheusModule } from '@willsoto/nestjs-prometheus';
export { Reflector } from '@nestjs/core';
export { Registry } from 'prom-client';

export interface Product {
  id: number;
  name: string;
  category: string;
  price: number;
}

export declare class ProductsRepository {
  findById(id: number): Promise<Product>;
  findByCategory(category: string): Promise<Product[]>;
  findByIds(ids: readonly number[]): Promise<Product[]>;
  topSellers(): Promise<Product[]>;
  save(product: Product): Promise<Product>;
  delete(id: number): Promise<void>;
}

export declare class ProductsService {
  findOne(id: number): Promise<Product>;
  topIds(): Promise<number[]>;
}

export declare const cacheUrl: string;
export declare const queueUrl: string;

/** A block of class members is the body of a class extending this one. */
export abstract class ReadmeContext {
  protected readonly repository!: ProductsRepository;
  protected readonly products!: ProductsService;
  protected readonly cache!: CacheService;
  protected readonly health!: HealthCheckService;
  protected readonly cacheHealth!: CacheHealthIndicator;
  protected readonly db!: { query(sql: string, values: unknown[]): Promise<unknown> };
}
