export * from './types';
export * from './fold';
export * from './allocate';
export * from './plan';
