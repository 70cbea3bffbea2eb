import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { MAX_TEXT_LENGTH, type ProductChanges } from './product.js';

const FIELDS = ['name', 'category', 'price'] as const;

/** Validates a `PUT /products/:id` body: known fields only, at least one, non-empty strings, a price ≥ 0. */
@Injectable()
export class ProductChangesPipe implements PipeTransform<unknown, ProductChanges> {
  transform(body: unknown): ProductChanges {
    const input = requireObject(body);
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

function requireObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('Body must be a JSON object');
  return body as Record<string, unknown>;
}

function requireText(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '' || text.length > MAX_TEXT_LENGTH) {
    throw new BadRequestException(`'${field}' must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters`);
  }
  return text;
}

function requirePrice(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BadRequestException(`'price' must be a number ≥ 0`);
  }
  return value;
}
