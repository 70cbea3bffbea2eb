import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { MAX_TEXT_LENGTH } from './product.js';

/**
 * Requires `?category=` once, non-empty, at most {@link MAX_TEXT_LENGTH} characters, without surrounding
 * spaces. NOTE: one spelling per category, because the HTTP cache keys and tags the list by the raw query
 * (interceptors run before pipes): `' category-5'` must not be a second entry that a write to
 * `category-5` does not invalidate.
 */
@Injectable()
export class CategoryPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    const category = typeof value === 'string' ? value : '';
    if (category === '' || category.length > MAX_TEXT_LENGTH || category.trim() !== category) {
      throw new BadRequestException(
        `Query parameter 'category' is required once, 1 to ${MAX_TEXT_LENGTH} characters without surrounding spaces`,
      );
    }
    return category;
  }
}
