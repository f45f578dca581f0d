export * from './rounding';
export * from './book';
export * from './request';
export * from './quote';
export * from './signed';
export { defaultPriceBook } from './fixtures/default';
