import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import type { ProductChanges } from './product.js';

const FIELDS = ['name', 'category', 'price'] as const;

/** Validates a `PUT /products/:id` body: known fields only, non-empty strings, a price ≥ 0. */
@Injectable()
export class ProductChangesPipe implements PipeTransform<unknown, ProductChanges> {
  transform(body: unknown): ProductChanges {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('Body must be a JSON object');
    const input = body as Record<string, unknown>;
    const unknown = Object.keys(input).filter((key) => !(FIELDS as readonly string[]).includes(key));
    if (unknown.length > 0) throw new BadRequestException(`Unknown field(s): ${unknown.join(', ')}; allowed: ${FIELDS.join(', ')}`);
    const changes: ProductChanges = {};
    if (input.name !== undefined) changes.name = requireText(input.name, 'name');
    if (input.category !== undefined) changes.category = requireText(input.category, 'category');
    if (input.price !== undefined) changes.price = requirePrice(input.price);
    if (Object.keys(changes).length === 0) throw new BadRequestException(`Nothing to change; send one of: ${FIELDS.join(', ')}`);
    return changes;
  }
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequestException(`'${field}' must be a non-empty string`);
  return value.trim();
}

function requirePrice(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BadRequestException(`'price' must be a number ≥ 0`);
  }
  return value;
}
