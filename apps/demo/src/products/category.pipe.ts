import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { MAX_TEXT_LENGTH } from './product.js';

/** Requires `?category=` once, non-empty and at most {@link MAX_TEXT_LENGTH} characters; returns it trimmed. */
@Injectable()
export class CategoryPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    const category = typeof value === 'string' ? value.trim() : '';
    if (category === '' || category.length > MAX_TEXT_LENGTH) {
      throw new BadRequestException(`Query parameter 'category' is required once, 1 to ${MAX_TEXT_LENGTH} characters`);
    }
    return category;
  }
}
