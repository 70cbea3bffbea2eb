import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/**
 * Parses `:id` as a positive integer without leading zeros; anything else is a 400 with a JSON error.
 * NOTE: one spelling per id, so `/products/013/summary` is not an HTTP cache entry that the tag `product:13` misses.
 */
@Injectable()
export class ProductIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = Number(value);
    if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) {
      throw new BadRequestException(`Product id must be a positive integer, got '${value}'`);
    }
    return id;
  }
}
