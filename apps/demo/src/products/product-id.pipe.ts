import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** Parses `:id` as a positive integer; anything else is a 400 with a JSON error. */
@Injectable()
export class ProductIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) {
      throw new BadRequestException(`Product id must be a positive integer, got '${value}'`);
    }
    return id;
  }
}
