/** A catalogue product as the API returns it. */
export interface Product {
  id: number;
  name: string;
  category: string;
  price: number;
  updatedAt: Date;
}

/** What `PUT /products/:id` may change. */
export interface ProductChanges {
  name?: string;
  category?: string;
  price?: number;
}

/** Number of categories the seed spreads products across. */
export const CATEGORY_COUNT = 20;
