/** A catalogue product as the API returns it. */
export interface Product {
  id: number;
  name: string;
  category: string;
  price: number;
  updatedAt: Date;
}

/** `GET /products/:id/summary`: the product in one line, and its price. */
export interface ProductSummary {
  id: number;
  title: string;
  price: number;
}

/** What `PUT /products/:id` may change. */
export interface ProductChanges {
  name?: string;
  category?: string;
  price?: number;
}

/** What an update changed: the product after it, and its category before it (whose list also changed). */
export interface ProductUpdate {
  product: Product;
  previousCategory: string;
}

/** Number of categories the seed spreads products across (`category-0` … `category-19`). */
export const CATEGORY_COUNT = 20;

/** Longest name or category accepted. */
export const MAX_TEXT_LENGTH = 200;
